/*
 * svm_smo.c - the C-SVC dual by sequential minimal optimization.
 *
 *   min 1/2 a'Qa - e'a   s.t.  y'a = 0,  0 <= a_i <= C_i,  Q_ij = y_i y_j K_ij
 *
 * Working sets by second-order selection (WSS2 of Fan, Chen & Lin 2005),
 * shrinking of variables stuck at a bound with gradient reconstruction
 * before the final check, and an LRU cache of kernel rows.  Rows are
 * computed over the dense row-major matrix with one dgemv (dot products
 * with every active row) plus the precomputed squared norms, then exp.
 * Shrinking moves rows physically (data row, norms, labels, cache
 * entries), so the active rows are always the contiguous prefix.
 */
#include "svm.h"
#include "blas.h"

#include <math.h>
#include <string.h>

#define TAU 1e-12

enum
{
	AT_LOWER = 0,
	AT_UPPER = 1,
	IS_FREE = 2
};

/* LRU cache of Q rows: fixed slots of l floats, each valid up to len. */
typedef struct RowCache
{
	int			l;
	int			nslots;
	float	  **data;
	int		   *len;
	int		   *owner;			/* row held by a slot, -1 when empty */
	int		   *slot_of;		/* l: slot holding a row, -1 when none */
	int		   *prev;			/* LRU list over slots; sentinel nslots */
	int		   *next;
} RowCache;

typedef struct Smo
{
	int			l;
	int			p;
	int			active;
	int			kernel;
	double		gamma;
	double		eps;
	double	   *z;				/* l x p, rows permuted with the variables */
	double	   *norm2;
	signed char *y;
	double	   *alpha;
	double	   *G;
	double	   *G_bar;
	double	   *QD;
	double	   *Cb;
	char	   *status;
	int		   *perm;			/* original index of each position */
	double	   *dots;			/* scratch l */
	RowCache	cache;
} Smo;

/* ---- cache ---- */

static void
lru_unlink(RowCache *c, int s)
{
	c->next[c->prev[s]] = c->next[s];
	c->prev[c->next[s]] = c->prev[s];
}

static void
lru_push_front(RowCache *c, int s)
{
	int			h = c->nslots;

	c->next[s] = c->next[h];
	c->prev[s] = h;
	c->prev[c->next[h]] = s;
	c->next[h] = s;
}

static void
lru_push_back(RowCache *c, int s)
{
	int			h = c->nslots;

	c->prev[s] = c->prev[h];
	c->next[s] = h;
	c->next[c->prev[h]] = s;
	c->prev[h] = s;
}

static void
cache_init(RowCache *c, int l, double cache_mb)
{
	double		bytes = (cache_mb > 0 ? cache_mb : 200.0) * 1024.0 * 1024.0;
	double		slots = bytes / ((double) l * sizeof(float));

	c->l = l;
	c->nslots = slots >= l ? l : (int) slots;
	if (c->nslots < 2)
		c->nslots = 2;
	c->data = pmed_alloc_array(c->nslots, sizeof(float *));
	c->len = pmed_alloc_array(c->nslots, sizeof(int));
	c->owner = pmed_alloc_array(c->nslots, sizeof(int));
	c->slot_of = pmed_alloc_array(l, sizeof(int));
	c->prev = pmed_alloc_array(c->nslots + 1, sizeof(int));
	c->next = pmed_alloc_array(c->nslots + 1, sizeof(int));
	c->prev[c->nslots] = c->next[c->nslots] = c->nslots;
	for (int s = 0; s < c->nslots; s++)
	{
		c->owner[s] = -1;
		lru_push_back(c, s);
	}
	for (int i = 0; i < l; i++)
		c->slot_of[i] = -1;
}

static void
cache_free(RowCache *c)
{
	for (int s = 0; s < c->nslots; s++)
		pmed_free(c->data[s]);
	pmed_free(c->data);
	pmed_free(c->len);
	pmed_free(c->owner);
	pmed_free(c->slot_of);
	pmed_free(c->prev);
	pmed_free(c->next);
}

static void
cache_evict(RowCache *c, int s)
{
	if (c->owner[s] >= 0)
		c->slot_of[c->owner[s]] = -1;
	c->owner[s] = -1;
	c->len[s] = 0;
	lru_unlink(c, s);
	lru_push_back(c, s);
}

/* Swap rows i < j in every cached row; rows too short to hold both go. */
static void
cache_swap(RowCache *c, int i, int j)
{
	int			si = c->slot_of[i],
				sj = c->slot_of[j];

	c->slot_of[i] = sj;
	c->slot_of[j] = si;
	if (si >= 0)
		c->owner[si] = j;
	if (sj >= 0)
		c->owner[sj] = i;
	for (int s = 0; s < c->nslots; s++)
	{
		if (c->owner[s] < 0 || c->len[s] <= i)
			continue;
		if (c->len[s] > j)
		{
			float		t = c->data[s][i];

			c->data[s][i] = c->data[s][j];
			c->data[s][j] = t;
		}
		else
			cache_evict(c, s);
	}
}

/* Q row of position i, valid for positions [0, len). */
static const float *
get_q(Smo *m, int i, int len)
{
	RowCache   *c = &m->cache;
	int			s = c->slot_of[i];
	int			start;

	if (s < 0)
	{
		s = c->prev[c->nslots]; /* least recently used */
		if (c->owner[s] >= 0)
			c->slot_of[c->owner[s]] = -1;
		c->owner[s] = i;
		c->len[s] = 0;
		c->slot_of[i] = s;
		if (c->data[s] == NULL)
			c->data[s] = pmed_alloc_array(c->l, sizeof(float));
	}
	lru_unlink(c, s);
	lru_push_front(c, s);
	start = c->len[s];
	if (start < len)
	{
		int			n = len - start;
		int			p = m->p;
		int			one_i = 1;
		double		one = 1.0,
					zero = 0.0;
		float	   *row = c->data[s];
		double		yi = m->y[i];
		const double *nrm = m->norm2 + start;
		const signed char *yy = m->y + start;
		double	   *d = m->dots;

		/* a fill costs n * p multiply-adds: check once per fill */
		pmed_check_interrupts();
		dgemv_("T", &p, &n, &one, m->z + (size_t) start * p, &p, m->z + (size_t) i * p,
			   &one_i, &zero, d, &one_i);
		if (m->kernel == PMED_SVM_RBF)
		{
			double		ni = m->norm2[i];

			for (int k = 0; k < n; k++)
			{
				double		d2 = ni + nrm[k] - 2.0 * d[k];

				d[k] = d2 > 0 ? d2 : 0;
			}
			pmed_svm_exp_neg(d, n, m->gamma);
		}
		for (int k = 0; k < n; k++)
			row[start + k] = (float) (yi * yy[k] * d[k]);
		c->len[s] = len;
	}
	return c->data[s];
}

/* ---- solver ---- */

static inline bool
is_upper(const Smo *m, int i)
{
	return m->status[i] == AT_UPPER;
}

static inline bool
is_lower(const Smo *m, int i)
{
	return m->status[i] == AT_LOWER;
}

static void
set_status(Smo *m, int i)
{
	if (m->alpha[i] >= m->Cb[i])
		m->status[i] = AT_UPPER;
	else if (m->alpha[i] <= 0)
		m->status[i] = AT_LOWER;
	else
		m->status[i] = IS_FREE;
}

#define SWAP(T, a, b) do { T _t = (a); (a) = (b); (b) = _t; } while (0)

static void
swap_index(Smo *m, int i, int j)
{
	int			p = m->p;

	if (i == j)
		return;
	if (i > j)
		SWAP(int, i, j);
	cache_swap(&m->cache, i, j);
	for (int k = 0; k < p; k++)
		SWAP(double, m->z[(size_t) i * p + k], m->z[(size_t) j * p + k]);
	SWAP(double, m->norm2[i], m->norm2[j]);
	SWAP(signed char, m->y[i], m->y[j]);
	SWAP(double, m->alpha[i], m->alpha[j]);
	SWAP(double, m->G[i], m->G[j]);
	SWAP(double, m->G_bar[i], m->G_bar[j]);
	SWAP(double, m->QD[i], m->QD[j]);
	SWAP(double, m->Cb[i], m->Cb[j]);
	SWAP(char, m->status[i], m->status[j]);
	SWAP(int, m->perm[i], m->perm[j]);
}

/* Rebuild G of the shrunk variables from G_bar and the free alphas. */
static void
reconstruct_gradient(Smo *m)
{
	int			l = m->l,
				a = m->active,
				nr_free = 0;

	if (a == l)
		return;
	for (int j = a; j < l; j++)
		m->G[j] = m->G_bar[j] - 1.0;
	for (int j = 0; j < a; j++)
		if (m->status[j] == IS_FREE)
			nr_free++;
	if ((double) nr_free * l > 2.0 * a * (l - a))
	{
		for (int i = a; i < l; i++)
		{
			const float *q = get_q(m, i, a);

			if ((i & 255) == 0)
				pmed_check_interrupts();
			for (int j = 0; j < a; j++)
				if (m->status[j] == IS_FREE)
					m->G[i] += m->alpha[j] * q[j];
		}
	}
	else
	{
		for (int i = 0; i < a; i++)
		{
			if (m->status[i] != IS_FREE)
				continue;
			if ((i & 255) == 0)
				pmed_check_interrupts();
			{
				const float *q = get_q(m, i, l);
				double		ai = m->alpha[i];

				for (int j = a; j < l; j++)
					m->G[j] += ai * q[j];
			}
		}
	}
}

/* WSS2: returns true when optimal within eps; *gap gets Gmax + Gmax2. */
static bool
select_working_set(Smo *m, int *out_i, int *out_j, double *gap)
{
	double		Gmax = -INFINITY,
				Gmax2 = -INFINITY,
				obj_min = INFINITY;
	int			imax = -1,
				jmin = -1;
	const float *qi = NULL;
	int			a = m->active;

	for (int t = 0; t < a; t++)
	{
		if (m->y[t] > 0)
		{
			if (!is_upper(m, t) && -m->G[t] >= Gmax)
			{
				Gmax = -m->G[t];
				imax = t;
			}
		}
		else
		{
			if (!is_lower(m, t) && m->G[t] >= Gmax)
			{
				Gmax = m->G[t];
				imax = t;
			}
		}
	}
	if (imax >= 0)
		qi = get_q(m, imax, a);
	for (int j = 0; j < a; j++)
	{
		if (m->y[j] > 0)
		{
			if (!is_lower(m, j))
			{
				double		gd = Gmax + m->G[j];

				if (m->G[j] >= Gmax2)
					Gmax2 = m->G[j];
				if (gd > 0 && imax >= 0)
				{
					double		quad = m->QD[imax] + m->QD[j] - 2.0 * m->y[imax] * qi[j];
					double		obj = -(gd * gd) / (quad > 0 ? quad : TAU);

					if (obj <= obj_min)
					{
						jmin = j;
						obj_min = obj;
					}
				}
			}
		}
		else
		{
			if (!is_upper(m, j))
			{
				double		gd = Gmax - m->G[j];

				if (-m->G[j] >= Gmax2)
					Gmax2 = -m->G[j];
				if (gd > 0 && imax >= 0)
				{
					double		quad = m->QD[imax] + m->QD[j] + 2.0 * m->y[imax] * qi[j];
					double		obj = -(gd * gd) / (quad > 0 ? quad : TAU);

					if (obj <= obj_min)
					{
						jmin = j;
						obj_min = obj;
					}
				}
			}
		}
	}
	*gap = Gmax + Gmax2;
	if (Gmax + Gmax2 < m->eps || jmin < 0 || imax < 0)
		return true;
	*out_i = imax;
	*out_j = jmin;
	return false;
}

static bool
be_shrunk(const Smo *m, int i, double Gmax1, double Gmax2)
{
	if (is_upper(m, i))
		return m->y[i] > 0 ? -m->G[i] > Gmax1 : -m->G[i] > Gmax2;
	if (is_lower(m, i))
		return m->y[i] > 0 ? m->G[i] > Gmax2 : m->G[i] > Gmax1;
	return false;
}

static void
do_shrinking(Smo *m, bool *unshrunk)
{
	double		Gmax1 = -INFINITY,	/* max -y G over I_up */
				Gmax2 = -INFINITY;	/* max y G over I_low */

	for (int i = 0; i < m->active; i++)
	{
		if (m->y[i] > 0)
		{
			if (!is_upper(m, i) && -m->G[i] >= Gmax1)
				Gmax1 = -m->G[i];
			if (!is_lower(m, i) && m->G[i] >= Gmax2)
				Gmax2 = m->G[i];
		}
		else
		{
			if (!is_upper(m, i) && -m->G[i] >= Gmax2)
				Gmax2 = -m->G[i];
			if (!is_lower(m, i) && m->G[i] >= Gmax1)
				Gmax1 = m->G[i];
		}
	}
	if (!*unshrunk && Gmax1 + Gmax2 <= m->eps * 10)
	{
		*unshrunk = true;
		reconstruct_gradient(m);
		m->active = m->l;
	}
	for (int i = 0; i < m->active; i++)
	{
		if (!be_shrunk(m, i, Gmax1, Gmax2))
			continue;
		m->active--;
		while (m->active > i)
		{
			if (!be_shrunk(m, m->active, Gmax1, Gmax2))
			{
				swap_index(m, i, m->active);
				break;
			}
			m->active--;
		}
	}
}

static double
compute_rho(const Smo *m)
{
	double		ub = INFINITY,
				lb = -INFINITY,
				sum_free = 0;
	int			nr_free = 0;

	for (int i = 0; i < m->active; i++)
	{
		double		yG = m->y[i] * m->G[i];

		if (is_upper(m, i))
		{
			if (m->y[i] < 0)
				ub = fmin(ub, yG);
			else
				lb = fmax(lb, yG);
		}
		else if (is_lower(m, i))
		{
			if (m->y[i] > 0)
				ub = fmin(ub, yG);
			else
				lb = fmax(lb, yG);
		}
		else
		{
			nr_free++;
			sum_free += yG;
		}
	}
	if (nr_free > 0)
		return sum_free / nr_free;
	if (isinf(ub) || isinf(lb))
		return isinf(ub) ? (isinf(lb) ? 0 : lb) : ub;
	return (ub + lb) / 2;
}

/* Move alpha_i and alpha_j (libsvm's clipped two-variable step). */
static void
update_pair(Smo *m, int i, int j)
{
	const float *qi = get_q(m, i, m->active);
	const float *qj = get_q(m, j, m->active);
	double		Ci = m->Cb[i],
				Cj = m->Cb[j];
	double		oi = m->alpha[i],
				oj = m->alpha[j];
	double		ai = oi,
				aj = oj;
	bool		ui = is_upper(m, i),
				uj = is_upper(m, j);

	if (m->y[i] != m->y[j])
	{
		double		quad = m->QD[i] + m->QD[j] + 2.0 * qi[j];
		double		delta,
					diff = ai - aj;

		if (quad <= 0)
			quad = TAU;
		delta = (-m->G[i] - m->G[j]) / quad;
		ai += delta;
		aj += delta;
		if (diff > 0)
		{
			if (aj < 0)
			{
				aj = 0;
				ai = diff;
			}
		}
		else if (ai < 0)
		{
			ai = 0;
			aj = -diff;
		}
		if (diff > Ci - Cj)
		{
			if (ai > Ci)
			{
				ai = Ci;
				aj = Ci - diff;
			}
		}
		else if (aj > Cj)
		{
			aj = Cj;
			ai = Cj + diff;
		}
	}
	else
	{
		double		quad = m->QD[i] + m->QD[j] - 2.0 * qi[j];
		double		delta,
					sum = ai + aj;

		if (quad <= 0)
			quad = TAU;
		delta = (m->G[i] - m->G[j]) / quad;
		ai -= delta;
		aj += delta;
		if (sum > Ci)
		{
			if (ai > Ci)
			{
				ai = Ci;
				aj = sum - Ci;
			}
		}
		else if (aj < 0)
		{
			aj = 0;
			ai = sum;
		}
		if (sum > Cj)
		{
			if (aj > Cj)
			{
				aj = Cj;
				ai = sum - Cj;
			}
		}
		else if (ai < 0)
		{
			ai = 0;
			aj = sum;
		}
	}
	m->alpha[i] = ai;
	m->alpha[j] = aj;

	{
		double		dai = ai - oi,
					daj = aj - oj;
		int			a = m->active;
		double	   *G = m->G;

		for (int k = 0; k < a; k++)
			G[k] += qi[k] * dai + qj[k] * daj;
	}
	set_status(m, i);
	set_status(m, j);
	if (ui != is_upper(m, i))
	{
		const float *q = get_q(m, i, m->l);

		if (ui)
			for (int k = 0; k < m->l; k++)
				m->G_bar[k] -= Ci * q[k];
		else
			for (int k = 0; k < m->l; k++)
				m->G_bar[k] += Ci * q[k];
	}
	if (uj != is_upper(m, j))
	{
		const float *q = get_q(m, j, m->l);

		if (uj)
			for (int k = 0; k < m->l; k++)
				m->G_bar[k] -= Cj * q[k];
		else
			for (int k = 0; k < m->l; k++)
				m->G_bar[k] += Cj * q[k];
	}
}

PmedStatus
pmed_svm_smo(const PmedSvmProblem *prob, int kernel, double gamma, double tol,
			 int64_t max_iter, double cache_mb, PmedSvmSolution *sol, PmedError *err)
{
	Smo			m;
	int			l = prob->l,
				p = prob->p;
	int64_t		iter = 0;
	int			counter;
	bool		unshrunk = false;
	double		gap = 0;

	memset(sol, 0, sizeof(*sol));
	if (l < 2 || p < 1)
		return pmed_fail(err, PMED_ERR_INVALID, "svm subproblem needs at least two rows");
	memset(&m, 0, sizeof(m));
	m.l = l;
	m.p = p;
	m.active = l;
	m.kernel = kernel;
	m.gamma = gamma;
	m.eps = tol;
	/* the solver's own copy of its rows: it reorders them as it shrinks */
	m.z = pmed_alloc_array((size_t) l * p, sizeof(double));
	for (int i = 0; i < l; i++)
		memcpy(m.z + (size_t) i * p, pmed_svm_row(prob, i), p * sizeof(double));
	m.norm2 = pmed_alloc_array(l, sizeof(double));
	m.y = pmed_alloc_array(l, 1);
	memcpy(m.y, prob->y, l);
	m.alpha = pmed_alloc_array(l, sizeof(double));
	m.G = pmed_alloc_array(l, sizeof(double));
	m.G_bar = pmed_alloc_array(l, sizeof(double));
	m.QD = pmed_alloc_array(l, sizeof(double));
	m.Cb = pmed_alloc_array(l, sizeof(double));
	m.status = pmed_alloc_array(l, 1);
	m.perm = pmed_alloc_array(l, sizeof(int));
	m.dots = pmed_alloc_array(l, sizeof(double));
	for (int i = 0; i < l; i++)
	{
		const double *zi = m.z + (size_t) i * p;
		double		s = 0;

		for (int k = 0; k < p; k++)
			s += zi[k] * zi[k];
		m.norm2[i] = s;
		m.QD[i] = kernel == PMED_SVM_RBF ? 1.0 : s;
		m.G[i] = -1.0;
		m.Cb[i] = m.y[i] > 0 ? prob->Cp : prob->Cn;
		m.status[i] = AT_LOWER;
		m.perm[i] = i;
	}
	cache_init(&m.cache, l, cache_mb);
	if (max_iter <= 0)
		max_iter = (int64_t) l * 100 > 10000000 ? (int64_t) l * 100 : 10000000;

	counter = (l < 1000 ? l : 1000) + 1;
	while (iter < max_iter)
	{
		int			i = -1,
					j = -1;

		if (--counter == 0)
		{
			counter = l < 1000 ? l : 1000;
			pmed_check_interrupts();
			do_shrinking(&m, &unshrunk);
		}
		if (select_working_set(&m, &i, &j, &gap))
		{
			reconstruct_gradient(&m);
			m.active = l;
			if (select_working_set(&m, &i, &j, &gap))
				break;
			counter = 1;
		}
		iter++;
		update_pair(&m, i, j);
	}
	if (m.active < l)
	{
		reconstruct_gradient(&m);
		m.active = l;
	}
	if (iter >= max_iter)
	{
		int			i,
					j;

		select_working_set(&m, &i, &j, &gap);
	}

	sol->rho = compute_rho(&m);
	sol->alpha = pmed_alloc_array(l, sizeof(double));
	for (int i = 0; i < l; i++)
		sol->alpha[m.perm[i]] = m.alpha[i];
	sol->iterations = iter;
	sol->kkt_violation = gap;
	cache_free(&m.cache);
	pmed_free(m.z);
	pmed_free(m.norm2);
	pmed_free(m.y);
	pmed_free(m.alpha);
	pmed_free(m.G);
	pmed_free(m.G_bar);
	pmed_free(m.QD);
	pmed_free(m.Cb);
	pmed_free(m.status);
	pmed_free(m.perm);
	pmed_free(m.dots);
	return PMED_OK;
}

void
pmed_svm_exp_neg(double *v, int n, double gamma)
{
	for (int k = 0; k < n; k++)
		v[k] = exp(-gamma * v[k]);
}
