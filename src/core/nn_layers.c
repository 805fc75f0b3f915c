/*
 * nn_layers.c - dense, 1-D convolution, relu and pooling layers of the
 * neural engine, forward and backward (see nn_internal.h for shapes).
 */
#include "nn_internal.h"
#include "nn_blas.h"

#include <math.h>
#include <string.h>

void
nn_dense_forward(int B, int I, int O, const float *x, const float *W, const float *b, float *y)
{
	for (int i = 0; i < B; i++)
		memcpy(y + (size_t) i * O, b, sizeof(float) * O);
	nn_gemm(false, false, B, O, I, 1.0f, x, I, W, O, 1.0f, y, O);
}

void
nn_dense_backward(int B, int I, int O, const float *x, const float *W, const float *dy,
				  float *dx, float *dW, float *db)
{
	if (dW)
	{
		nn_gemm(true, false, I, O, B, 1.0f, x, I, dy, O, 1.0f, dW, O);
		nn_colsum_add(B, O, dy, O, db);
	}
	if (dx)
		nn_gemm(false, true, B, I, O, 1.0f, dy, O, W, O, 0.0f, dx, I);
}

/*
 * col[t, k*C + c] = x[t + k - K/2, c], zero outside the signal; rows ld
 * apart.  With ones, column K*C is 1 (it multiplies the bias row).
 */
static void
im2col(int T, int C, int K, const float *x, float *col, int ld, bool ones)
{
	int			pad = K / 2;
	size_t		row = (size_t) K * C;

	for (int t = 0; t < T; t++)
	{
		float	   *dst = col + (size_t) t * ld;
		int			lo = t - pad;

		if (lo >= 0 && lo + K <= T)
			memcpy(dst, x + (size_t) lo * C, sizeof(float) * row);
		else
			for (int k = 0; k < K; k++)
			{
				int			s = lo + k;

				if (s < 0 || s >= T)
					memset(dst + (size_t) k * C, 0, sizeof(float) * C);
				else
					memcpy(dst + (size_t) k * C, x + (size_t) s * C, sizeof(float) * C);
			}
		if (ones)
			dst[row] = 1.0f;
	}
}

/* Samples per im2col chunk: the whole batch when its columns fit NN_COL_CAP. */
static int
conv_chunk(int B, int T, int KC)
{
	size_t		per = (size_t) T * KC;
	size_t		n = per > 0 ? NN_COL_CAP / per : 1;

	if (n < 1)
		n = 1;
	return n < (size_t) B ? (int) n : B;
}

size_t
nn_conv_col_floats(int B, int T, int KC)
{
	return (size_t) conv_chunk(B, T, KC) * T * KC;
}

void
nn_conv_forward(int B, int T, int C, int F, int K, const float *x, const float *Wb,
				float *y, float *col)
{
	int			KC1 = K * C + 1;
	int			chunk = conv_chunk(B, T, KC1);

	for (int i0 = 0; i0 < B; i0 += chunk)
	{
		int			n = B - i0 < chunk ? B - i0 : chunk;

		pmed_check_interrupts();
		for (int i = 0; i < n; i++)
			im2col(T, C, K, x + (size_t) (i0 + i) * T * C, col + (size_t) i * T * KC1, KC1, true);
		nn_gemm(false, false, n * T, F, KC1, 1.0f, col, KC1, Wb, F, 0.0f,
				y + (size_t) i0 * T * F, F);
	}
}

void
nn_colsum_add(int rows, int cols, const float *A, int lda, float *out)
{
	static float ones[1024];

	if (ones[0] != 1.0f)
		for (int i = 0; i < 1024; i++)
			ones[i] = 1.0f;
	for (int r0 = 0; r0 < rows; r0 += 1024)
	{
		int			n = rows - r0 < 1024 ? rows - r0 : 1024;

		nn_gemm(false, false, 1, cols, n, 1.0f, ones, n, A + (size_t) r0 * lda, lda, 1.0f,
				out, cols);
	}
}

/*
 * The input gradient is itself a 'same' convolution: of dy with the
 * kernel flipped in time and transposed, Wf[j*F + f, c] = W[(K-1-j)*C + c, f],
 * so it runs as im2col(dy) times Wf (one sgemm, no scatter).
 */
void
nn_conv_backward(int B, int T, int C, int F, int K, const float *x, const float *Wb,
				 const float *dy, float *dx, float *dWb, float *col)
{
	int			KC1 = K * C + 1;
	int			KF = K * F;
	int			chunk = conv_chunk(B, T, KC1);
	float	   *Wf;

	for (int i0 = 0; i0 < B; i0 += chunk)
	{
		int			n = B - i0 < chunk ? B - i0 : chunk;

		pmed_check_interrupts();
		for (int i = 0; i < n; i++)
			im2col(T, C, K, x + (size_t) (i0 + i) * T * C, col + (size_t) i * T * KC1, KC1, true);
		/* the ones column makes the last row of dWb the bias gradient */
		nn_gemm(true, false, KC1, F, n * T, 1.0f, col, KC1, dy + (size_t) i0 * T * F, F, 1.0f,
				dWb, F);
	}
	if (!dx)
		return;
	Wf = pmed_alloc_array((size_t) KF * C, sizeof(float));
	for (int j = 0; j < K; j++)
		for (int f = 0; f < F; f++)
			for (int c = 0; c < C; c++)
				Wf[((size_t) j * F + f) * C + c] = Wb[((size_t) (K - 1 - j) * C + c) * F + f];
	chunk = conv_chunk(B, T, KF);
	for (int i0 = 0; i0 < B; i0 += chunk)
	{
		int			n = B - i0 < chunk ? B - i0 : chunk;

		pmed_check_interrupts();
		for (int i = 0; i < n; i++)
			im2col(T, F, K, dy + (size_t) (i0 + i) * T * F, col + (size_t) i * T * KF, KF, false);
		nn_gemm(false, false, n * T, C, KF, 1.0f, col, KF, Wf, C, 0.0f,
				dx + (size_t) i0 * T * C, C);
	}
	pmed_free(Wf);
}

void
nn_relu_forward(size_t n, float *x)
{
	/*
	 * On the bits, without a branch or a float compare (signs are random,
	 * so a branch mispredicts half the time): a set sign bit gives +0.
	 */
	for (size_t i = 0; i < n; i++)
	{
		uint32_t	u;

		memcpy(&u, &x[i], 4);
		u &= ~(uint32_t) ((int32_t) u >> 31);
		memcpy(&x[i], &u, 4);
	}
}

void
nn_relu_backward(size_t n, const float *y, float *dy)
{
	/* y > 0 exactly when its bits, read as a signed integer, are > 0 */
	for (size_t i = 0; i < n; i++)
	{
		int32_t		yb;
		uint32_t	g;

		memcpy(&yb, &y[i], 4);
		memcpy(&g, &dy[i], 4);
		g &= (uint32_t) -(int32_t) (yb > 0);
		memcpy(&dy[i], &g, 4);
	}
}

/* cond ? a : b without a branch (GCC turns ?: into jumps here; the
 * conditions are data-dependent coin flips, so jumps mispredict). */
static inline float
select_f(bool cond, float a, float b)
{
	uint32_t	ua,
				ub,
				m = -(uint32_t) cond;

	memcpy(&ua, &a, 4);
	memcpy(&ub, &b, 4);
	ua = (ua & m) | (ub & ~m);
	memcpy(&a, &ua, 4);
	return a;
}

static inline int32_t
select_i(bool cond, int32_t a, int32_t b)
{
	uint32_t	m = -(uint32_t) cond;

	return (int32_t) (((uint32_t) a & m) | ((uint32_t) b & ~m));
}

void
nn_pool_forward(int kind, int B, int T, int C, int P, const float *x, float *y, int32_t *idx)
{
	int			To = T / P;

	for (int i = 0; i < B; i++)
		for (int t = 0; t < To; t++)
		{
			const float *src = x + ((size_t) i * T + (size_t) t * P) * C;
			float	   *yo = y + ((size_t) i * To + t) * C;
			int32_t    *io = idx + ((size_t) i * To + t) * C;

			memcpy(yo, src, sizeof(float) * C);
			if (kind == PMED_NN_POOL_MAX)
			{
				for (int c = 0; c < C; c++)
					io[c] = t * P;
				/* selects, not branches: the winner is unpredictable */
				for (int p = 1; p < P; p++)
					for (int c = 0; c < C; c++)
					{
						float		v = src[(size_t) p * C + c];
						bool		gt = v > yo[c];

						io[c] = select_i(gt, t * P + p, io[c]);
						yo[c] = select_f(gt, v, yo[c]);
					}
			}
			else
			{
				for (int p = 1; p < P; p++)
					for (int c = 0; c < C; c++)
						yo[c] += src[(size_t) p * C + c];
				for (int c = 0; c < C; c++)
					yo[c] /= P;
			}
		}
}

void
nn_pool_backward(int kind, int B, int T, int C, int P, const float *dy, const int32_t *idx,
				 float *dx)
{
	int			To = T / P;

	for (int i = 0; i < B; i++)
	{
		/* every input step written once; the steps past To * P get 0 */
		for (int t = 0; t < To; t++)
		{
			const float *g = dy + ((size_t) i * To + t) * C;
			const int32_t *io = idx + ((size_t) i * To + t) * C;

			for (int p = 0; p < P; p++)
			{
				float	   *d = dx + ((size_t) i * T + (size_t) t * P + p) * C;

				if (kind == PMED_NN_POOL_MAX)
					for (int c = 0; c < C; c++)
						d[c] = select_f(io[c] == t * P + p, g[c], 0.0f);
				else
					for (int c = 0; c < C; c++)
						d[c] = g[c] / P;
			}
		}
		memset(dx + ((size_t) i * T + (size_t) To * P) * C, 0,
			   sizeof(float) * (size_t) (T - To * P) * C);
	}
}

void
nn_global_forward(int kind, int B, int T, int C, const float *x, float *y, int32_t *idx)
{
	for (int i = 0; i < B; i++)
	{
		const float *xi = x + (size_t) i * T * C;
		float	   *yi = y + (size_t) i * C;

		if (kind == PMED_NN_HEAD_MAX)
		{
			for (int c = 0; c < C; c++)
			{
				yi[c] = xi[c];
				idx[(size_t) i * C + c] = 0;
			}
			for (int t = 1; t < T; t++)
				for (int c = 0; c < C; c++)
					if (xi[(size_t) t * C + c] > yi[c])
					{
						yi[c] = xi[(size_t) t * C + c];
						idx[(size_t) i * C + c] = t;
					}
		}
		else
		{
			for (int c = 0; c < C; c++)
				yi[c] = 0.0f;
			for (int t = 0; t < T; t++)
				for (int c = 0; c < C; c++)
					yi[c] += xi[(size_t) t * C + c];
			for (int c = 0; c < C; c++)
				yi[c] /= T;
		}
	}
}

void
nn_global_backward(int kind, int B, int T, int C, const float *dy, const int32_t *idx,
				   float *dx)
{
	for (int i = 0; i < B; i++)
	{
		float	   *dxi = dx + (size_t) i * T * C;
		const float *dyi = dy + (size_t) i * C;

		if (kind == PMED_NN_HEAD_MAX)
		{
			memset(dxi, 0, sizeof(float) * T * C);
			for (int c = 0; c < C; c++)
				dxi[(size_t) idx[(size_t) i * C + c] * C + c] = dyi[c];
		}
		else
			for (int t = 0; t < T; t++)
				for (int c = 0; c < C; c++)
					dxi[(size_t) t * C + c] = dyi[c] / T;
	}
}
