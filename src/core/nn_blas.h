/*
 * nn_blas.h - the one BLAS routine the neural engine needs (sgemm), with a
 * row-major wrapper.
 *
 * sgemm_ is declared in the project's common src/core/blas.h.
 * The Fortran interface is column-major: a row-major C = op(A) op(B) is
 * the column-major C^T = op(B)^T op(A)^T, so the wrapper swaps operands.
 */
#ifndef PMED_NN_BLAS_H
#define PMED_NN_BLAS_H

#include <stdbool.h>

#include "blas.h"

/*
 * Row-major C[M,N] = alpha * op(A)[M,K] op(B)[K,N] + beta * C, where op(A)
 * is A (lda >= K) or A^T (A stored K x M, lda >= M); likewise for B.
 */
static inline void
nn_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
		const float *B, int ldb, float beta, float *C, int ldc)
{
	if (M <= 0 || N <= 0)
		return;
	if (K <= 0)
	{
		/* BLAS would only scale C; do the same without calling it. */
		for (int i = 0; i < M; i++)
			for (int j = 0; j < N; j++)
				C[(long) i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(long) i * ldc + j];
		return;
	}
	sgemm_(tb ? "T" : "N", ta ? "T" : "N", &N, &M, &K, &alpha, B, &ldb, A, &lda, &beta, C, &ldc);
}

#endif
