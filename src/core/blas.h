/*
 * blas.h - the Fortran BLAS / LAPACK routines the cores call (reference
 * BLAS or serial OpenBLAS, linked with -llapack -lblas).  Every argument
 * is passed by reference, matrices column-major.
 */
#ifndef PMED_BLAS_H
#define PMED_BLAS_H

/* y = alpha * op(A) x + beta * y */
extern void dgemv_(const char *trans, const int *m, const int *n, const double *alpha,
				   const double *a, const int *lda, const double *x, const int *incx,
				   const double *beta, double *y, const int *incy);

/* C = alpha * op(A) op(A)' + beta * C, one triangle (uplo) of C */
extern void dsyrk_(const char *uplo, const char *trans, const int *n, const int *k,
				   const double *alpha, const double *a, const int *lda,
				   const double *beta, double *c, const int *ldc);

/* Solve A X = B for symmetric positive definite A by Cholesky */
extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a,
				   const int *lda, double *b, const int *ldb, int *info);

/* C = alpha * op(A) op(B) + beta * C, single precision (the neural engine) */
extern void sgemm_(const char *transa, const char *transb, const int *m, const int *n,
				   const int *k, const float *alpha, const float *a, const int *lda,
				   const float *b, const int *ldb, const float *beta, float *c,
				   const int *ldc);

#endif
