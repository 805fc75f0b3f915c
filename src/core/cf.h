/*
 * cf.h - collaborative filtering for drug recommendation: item-kNN
 * (cosine on the co-prescription matrix with shrinkage and min_support) and
 * implicit / explicit ALS (Hu, Koren & Volinsky 2008), their model payload
 * and scoring.  The top-k selection every recommender shares is in topk.h.
 *
 * Pure C: no postgres.h.  Allocation and interrupts go through pmed_core.h.
 */
#ifndef PMED_CF_H
#define PMED_CF_H

#include "codec.h"
#include "topk.h"
#include "util.h"

/* Limits a CF model never exceeds (a decoder rejects anything larger). */
#define PMED_CF_MAX_ITEMS		10000000
#define PMED_CF_MAX_PATIENTS	100000000
#define PMED_CF_MAX_FACTORS		1024
#define PMED_CF_MAX_NEIGHBORS	100000

typedef struct PmedCfTriple
{
	int64_t		patient;
	int64_t		item;
	double		weight;
} PmedCfTriple;

/* Sort by (patient, item) and sum duplicate pairs; returns the new count. */
size_t		pmed_cf_canonicalize(PmedCfTriple *t, size_t n);

typedef enum PmedCfMethod
{
	PMED_CF_ITEM_KNN = 1,
	PMED_CF_ALS = 2
} PmedCfMethod;

typedef struct PmedCfParams
{
	int			method;			/* PmedCfMethod */
	/* item_knn */
	int			neighbors;		/* top neighbours kept per item */
	double		shrinkage;		/* sim = dot / (|a| |b| + shrinkage) */
	int			min_support;	/* pairs seen in fewer patients are dropped */
	/* als */
	int			factors;
	int			iterations;
	double		regularization;
	double		alpha;			/* confidence 1 + alpha * weight */
	bool		explicit_feedback;	/* fit observed ratings instead */
	uint64_t	seed;
	/* both */
	bool		store_patients; /* keep patient histories (and ALS factors) */
} PmedCfParams;

void		pmed_cf_default_params(PmedCfParams *p);

typedef struct PmedCfModel
{
	uint8_t		method;
	uint8_t		explicit_feedback;
	uint8_t		has_patients;
	uint32_t	n_items;
	int64_t    *items;			/* ascending ids */
	double	   *popularity;		/* patients per item */
	uint32_t	n_patients;		/* 0 when !has_patients */
	int64_t    *patients;		/* ascending ids */
	uint32_t   *hist_ptr;		/* n_patients + 1 */
	uint32_t   *hist_item;		/* item indices, ascending within a patient */
	/* item_knn */
	uint32_t   *nbr_ptr;		/* n_items + 1 */
	uint32_t   *nbr_item;
	double	   *nbr_sim;
	uint32_t	min_support_used;	/* smallest patient count of a kept pair */
	uint32_t	neighbors;
	double		shrinkage;
	uint32_t	min_support;
	/* als */
	uint32_t	factors;
	uint32_t	iterations;
	double		regularization;
	double		alpha;
	double	   *X;				/* n_patients x factors, row-major */
	double	   *Y;				/* n_items x factors */
	double	   *YtY;			/* factors x factors, built on decode / fit */
	double		final_loss;		/* training objective after the last sweep */
	uint64_t	interactions;	/* distinct (patient, item) pairs trained on */
} PmedCfModel;

/*
 * Fit on canonical triples (sorted, distinct pairs, weight >= 0 finite).
 * loss_trace, when not NULL, receives the objective after each ALS
 * iteration (iterations values).
 */
PmedStatus	pmed_cf_fit(const PmedCfTriple *t, size_t n, const PmedCfParams *p,
						PmedCfModel **out, double *loss_trace, PmedError *err);

/*
 * Between the CF core files (cf_knn.c drives, cf_als.c solves): fit the
 * ALS factors of a model whose items and histories are set (w: one weight
 * per history entry), and build the derived YtY after a fit or decode.
 */
void		pmed_cf_fit_als(PmedCfModel *m, const double *w, const PmedCfParams *p,
							double *loss_trace);
void		pmed_cf_als_prepare(PmedCfModel *m);

/* The ALS objective of factors X, Y on the triples (for tests and traces). */
double		pmed_cf_als_objective(const PmedCfModel *m, const PmedCfTriple *t, size_t n);

void		pmed_cf_encode(const PmedCfModel *m, PmedWriter *w);
/* Validates every count, index and float; NULL (error set) when corrupt. */
PmedCfModel *pmed_cf_decode(PmedReader *r, PmedError *err);

/*
 * Id arrays in CF and content payloads: n int64 ids, written as they are;
 * read back into a new array (*out, set even on failure), which must be
 * strictly ascending.
 */
void		pmed_put_ids(PmedWriter *w, const int64_t *ids, uint32_t n);
bool		pmed_get_ascending_ids(PmedReader *r, uint32_t n, int64_t **out);

/*
 * ALS fold-in: the factor (m->factors values) of a patient with these item
 * indices (weights NULL = 1 each).  Returns false when the solve fails.
 */
bool		pmed_cf_als_fold_in(const PmedCfModel *m, const uint32_t *items,
								const double *weights, size_t n, double *x);

/* ---- recommending (selection in topk.h) ---- */

/*
 * Score every item, then select.  scores/cand are n_items scratch arrays
 * the caller provides (cand[i] != 0: item i may be recommended).
 */
PmedStatus	pmed_cf_recommend_patient(const PmedCfModel *m, int64_t patient,
									  const PmedRecRequest *req, PmedRecResult *res,
									  PmedError *err);
PmedStatus	pmed_cf_recommend_history(const PmedCfModel *m, const PmedRecRequest *req,
									  PmedRecResult *res, PmedError *err);

#endif
