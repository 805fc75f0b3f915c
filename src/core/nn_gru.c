/*
 * nn_gru.c - one direction of a GRU layer over a time-major mini-batch,
 * forward and backward through time.
 *
 * PyTorch's equations (gate order r, z, n):
 *   r = sigmoid(Wx_r x + bx_r + Wh_r h + bh_r)
 *   z = sigmoid(Wx_z x + bx_z + Wh_z h + bh_z)
 *   n = tanh(Wx_n x + bx_n + r * (Wh_n h + bh_n))
 *   h' = (1 - z) * n + z * h
 * The input part of all steps is one sgemm; each step adds one sgemm of
 * the [B, H] state.  Steps past a sequence's end keep its state, so the
 * forward direction ends with the state at the last real step and the
 * reverse direction starts from 0 at each sequence's own last step.
 */
#include "nn_internal.h"
#include "nn_blas.h"

#include <math.h>
#include <string.h>

static inline float
sigm(float a)
{
	return 1.0f / (1.0f + expf(-a));
}

/*
 * tanh through one expf: libm's tanhf (via expm1f) costs several times
 * more, and its extra relative accuracy near 0 (where this has absolute
 * error ~1e-7) does not matter here.  Saturates cleanly: expf overflows to
 * infinity (gives 1) or underflows to 0 (gives -1).
 */
static inline float
fast_tanh(float a)
{
	return 1.0f - 2.0f / (expf(2.0f * a) + 1.0f);
}

size_t
nn_gru_work_floats(int T, int B, int H)
{
	return (size_t) B * H * 9 + (size_t) T * B * 3 * H;
}

/*
 * The hidden state before step s (t in time order): zeros at the first step,
 * else the output of the step before it in the direction of this pass.
 */
static inline const float *
previous_state(const float *out, const float *zero, int s, int t, bool reverse,
			   int B, int H, int ldo, int *ldp)
{
	if (s == 0)
	{
		*ldp = H;
		return zero;
	}
	*ldp = ldo;
	return out + (size_t) (reverse ? t + 1 : t - 1) * B * ldo;
}

void
nn_gru_forward(int T, int B, int D, int H, const int32_t *len, bool reverse,
			   const float *X, const float *Wx, const float *bx, const float *Wh,
			   const float *bh, NnGruSaved *sv, float *out, int ldo, float *work)
{
	int			H3 = 3 * H;
	float	   *gh = work;		/* [B, 3H] */
	float	   *zero = work + (size_t) B * H3;	/* [B, H] */
	size_t		rows = (size_t) T * B;

	for (size_t i = 0; i < rows; i++)
		memcpy(sv->gx + i * H3, bx, sizeof(float) * H3);
	nn_gemm(false, false, (int) rows, H3, D, 1.0f, X, D, Wx, H3, 1.0f, sv->gx, H3);
	memset(zero, 0, sizeof(float) * B * H);

	for (int s = 0; s < T; s++)
	{
		int			t = reverse ? T - 1 - s : s;
		const float *hp;
		int			ldp;

		pmed_check_interrupts();
		hp = previous_state(out, zero, s, t, reverse, B, H, ldo, &ldp);
		for (int b = 0; b < B; b++)
			memcpy(gh + (size_t) b * H3, bh, sizeof(float) * H3);
		nn_gemm(false, false, B, H3, H, 1.0f, hp, ldp, Wh, H3, 1.0f, gh, H3);

		for (int b = 0; b < B; b++)
		{
			size_t		row = (size_t) t * B + b;
			const float *g = sv->gx + row * H3;
			const float *u = gh + (size_t) b * H3;
			const float *h0 = hp + (size_t) b * ldp;
			float	   *h1 = out + row * ldo;
			float	   *r = sv->r + row * H;
			float	   *z = sv->z + row * H;
			float	   *n = sv->n + row * H;
			float	   *q = sv->ghn + row * H;

			if (t >= len[b])
			{
				memcpy(h1, h0, sizeof(float) * H);
				memset(r, 0, sizeof(float) * H);
				memset(z, 0, sizeof(float) * H);
				memset(n, 0, sizeof(float) * H);
				memset(q, 0, sizeof(float) * H);
				continue;
			}
			for (int j = 0; j < H; j++)
			{
				float		rj = sigm(g[j] + u[j]);
				float		zj = sigm(g[H + j] + u[H + j]);
				float		nj = fast_tanh(g[2 * H + j] + rj * u[2 * H + j]);

				r[j] = rj;
				z[j] = zj;
				n[j] = nj;
				q[j] = u[2 * H + j];
				h1[j] = (1.0f - zj) * nj + zj * h0[j];
			}
		}
	}
}

void
nn_gru_backward(int T, int B, int D, int H, const int32_t *len, bool reverse,
				const float *X, const float *Wx, const float *Wh, const NnGruSaved *sv,
				const float *out, int ldo, float *dOut, float *dX, float *dWx, float *dbx,
				float *dWh, float *dbh, float *work)
{
	int			H3 = 3 * H;
	float	   *dgh = work;		/* [B, 3H] */
	float	   *carry = dgh + (size_t) B * H3;	/* [B, H] */
	float	   *dh = carry + (size_t) B * H;	/* [B, H] */
	float	   *zero = dh + (size_t) B * H;	/* [B, H] */
	float	   *direct = zero + (size_t) B * H; /* [B, H] */
	float	   *dgx = work + (size_t) B * H * 9;	/* [T*B, 3H] */
	size_t		rows = (size_t) T * B;

	memset(carry, 0, sizeof(float) * B * H);
	memset(zero, 0, sizeof(float) * B * H);

	for (int s = T - 1; s >= 0; s--)
	{
		int			t = reverse ? T - 1 - s : s;
		const float *hp;
		int			ldp;

		pmed_check_interrupts();
		hp = previous_state(out, zero, s, t, reverse, B, H, ldo, &ldp);
		for (int b = 0; b < B; b++)
		{
			size_t		row = (size_t) t * B + b;
			const float *go = dOut + row * ldo;
			float	   *dhb = dh + (size_t) b * H;
			float	   *gxr = dgx + row * H3;
			float	   *ghr = dgh + (size_t) b * H3;
			float	   *dir = direct + (size_t) b * H;

			for (int j = 0; j < H; j++)
				dhb[j] = go[j] + carry[(size_t) b * H + j];
			if (t >= len[b])
			{
				memset(gxr, 0, sizeof(float) * H3);
				memset(ghr, 0, sizeof(float) * H3);
				memcpy(dir, dhb, sizeof(float) * H);
				continue;
			}
			{
				const float *r = sv->r + row * H;
				const float *z = sv->z + row * H;
				const float *n = sv->n + row * H;
				const float *q = sv->ghn + row * H;
				const float *h0 = hp + (size_t) b * ldp;

				for (int j = 0; j < H; j++)
				{
					float		d = dhb[j];
					float		dan = d * (1.0f - z[j]) * (1.0f - n[j] * n[j]);
					float		daz = d * (h0[j] - n[j]) * z[j] * (1.0f - z[j]);
					float		dar = dan * q[j] * r[j] * (1.0f - r[j]);

					gxr[j] = dar;
					gxr[H + j] = daz;
					gxr[2 * H + j] = dan;
					ghr[j] = dar;
					ghr[H + j] = daz;
					ghr[2 * H + j] = dan * r[j];
					dir[j] = d * z[j];
				}
			}
		}
		/* parameter gradients of the recurrent part, then the carried state */
		nn_gemm(true, false, H, H3, B, 1.0f, hp, ldp, dgh, H3, 1.0f, dWh, H3);
		nn_colsum_add(B, H3, dgh, H3, dbh);
		memcpy(carry, direct, sizeof(float) * B * H);
		nn_gemm(false, true, B, H, H3, 1.0f, dgh, H3, Wh, H3, 1.0f, carry, H);
	}
	nn_gemm(true, false, D, H3, (int) rows, 1.0f, X, D, dgx, H3, 1.0f, dWx, H3);
	nn_colsum_add((int) rows, H3, dgx, H3, dbx);
	if (dX)
		nn_gemm(false, true, (int) rows, D, H3, 1.0f, dgx, H3, Wx, H3, 1.0f, dX, D);
}
