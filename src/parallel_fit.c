/*
 * parallel_fit.c - a forest's trees and an SVM's class pairs computed by
 * PostgreSQL parallel workers.
 *
 * The pattern of a parallel index build (pgvector's HNSW build, nbtree's
 * sort): EnterParallelMode, CreateParallelContext naming the worker's entry
 * point by library and function, a shared-memory table of contents holding
 * a header with an atomic next-tree counter, the binned matrix and labels
 * (the forest core's PmedForestShared arrays, copied once) and a DSA area
 * for the grown trees, LaunchParallelWorkers, the leader grows trees too,
 * WaitForParallelWorkersToFinish (which re-throws a worker's error),
 * append in tree order, DestroyParallelContext, ExitParallelMode.
 *
 * A tree depends only on the shared data and its index, and the leader
 * appends them in tree order with the same code as the serial fit, so the
 * model is the same bit for bit with 0, 1 or N workers, and whichever
 * process grew which tree.  Out-of-bag error and the importance
 * normalisation run in the leader after the merge (pmed_forest_finish).
 *
 * Guard: only in a process that is not itself a parallel worker (a worker
 * is a lock-group follower; launching from it would corrupt the lock-group
 * lists), only when the work (rows x trees) is worth a launch, and only
 * when the shared copy stays under PMED_FIT_DSM_CAP; otherwise serial.
 * Fewer workers than asked (none included) changes nothing but the time.
 *
 * An SVM's one-vs-one class pairs go the same way (pmed_svm_train_parallel):
 * the scaled matrix, the class-grouped row indices and the class weights
 * are copied once, each process takes the next pair, solves it (with its
 * Platt cross-validation) and puts its result (rho, w or the alphas, the
 * sigmoid) in the DSA area; the leader appends them in pair order with the
 * code of the serial fit.  The launch, the shared chunks and the DSA area
 * are the pfit_* helpers both fits use.
 */
#include "pmed.h"

#include <sys/resource.h>

#include "access/parallel.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/lwlock.h"
#include "storage/shm_toc.h"
#include "utils/dsa.h"

#include "parallel_fit.h"

int			pmed_fit_workers = 2;
int			pmed_fit_workers_min_work = 1000000;

/* Largest shared copy of the training data (bytes) before falling back to serial. */
#define PMED_FIT_DSM_CAP	((Size) 1024 * 1024 * 1024)
/* Largest total of grown trees held in the DSA area (the model limit, with room). */
#define PMED_FIT_DSA_CAP	((Size) 1536 * 1024 * 1024)
/* The in-place start of the DSA area (it grows by further segments). */
#define PMED_FIT_DSA_INITIAL	((Size) 1024 * 1024)

#define PFIT_KEY_HEADER		UINT64CONST(0x504D454400000001)
#define PFIT_KEY_ARRAYS		UINT64CONST(0x504D454400000002)
#define PFIT_KEY_SLOTS		UINT64CONST(0x504D454400000003)
#define PFIT_KEY_DSA		UINT64CONST(0x504D454400000004)

/* Where each shared array starts in the arrays chunk; -1 = NULL. */
typedef struct PfitOffsets
{
	int64		bins,
				nbins,
				bin_lo,
				bin_hi,
				usable,
				yc,
				y,
				x,
				cat_levels;
} PfitOffsets;

typedef struct PfitHeader
{
	PmedForestShared sh;		/* sizes and settings; its pointers are not used */
	PfitOffsets off;
	pg_atomic_uint32 next_tree; /* the next tree nobody has taken */
	pg_atomic_uint32 stop;		/* a size limit was reached: take no more */
	pg_atomic_uint32 full;		/* the DSA area is full: the leader grows the rest */
	pg_atomic_uint64 bytes;		/* estimated model bytes of the trees grown */
} PfitHeader;

PGDLLEXPORT void pmed_forest_worker_main(dsm_segment *seg, shm_toc *toc);

/* ---- what the forest and the SVM fits share ---- */

/* CPU seconds (user + system) this process has used. */
static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*
 * How many workers to ask for, 0 = serial (the guard): work is compared
 * with pmed.fit_workers_min_work, units are the independent pieces (the
 * leader takes one too), shared_size the bytes copied for the workers.
 */
static int
pfit_workers_wanted(const char *what, double work, int units, Size shared_size)
{
	int			n = pmed_fit_workers;

	if (n <= 0 || IsParallelWorker() || units < 2)
		return 0;
	if (work < (double) pmed_fit_workers_min_work)
		return 0;
	if (shared_size > PMED_FIT_DSM_CAP)
	{
		elog(DEBUG1, "pmed %s fit: serial, the shared data (%zu bytes) is over the cap",
			 what, shared_size);
		return 0;
	}
	/* the leader takes pieces too */
	return Min(n, units - 1);
}

/*
 * Enter parallel mode and a parallel context for function (a worker entry
 * point of this library) with its four chunks: header, arrays, one result
 * slot per piece and the DSA area's start.  NULL (and out of parallel mode
 * again) when there is no dynamic shared memory to be had: then the caller
 * fits serially, the same model.
 */
static ParallelContext *
pfit_begin(const char *function, int nworkers, Size header_size, Size arrays_size, int n_slots)
{
	ParallelContext *pcxt;

	EnterParallelMode();
	pcxt = CreateParallelContext("pmed", function, nworkers);
	shm_toc_estimate_chunk(&pcxt->estimator, header_size);
	shm_toc_estimate_chunk(&pcxt->estimator, arrays_size);
	shm_toc_estimate_chunk(&pcxt->estimator, sizeof(pg_atomic_uint64) * n_slots);
	shm_toc_estimate_chunk(&pcxt->estimator, PMED_FIT_DSA_INITIAL);
	shm_toc_estimate_keys(&pcxt->estimator, 4);
	InitializeParallelDSM(pcxt);
	if (pcxt->seg == NULL)
	{
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		elog(DEBUG1, "pmed fit: serial, no dynamic shared memory segment");
		return NULL;
	}
	return pcxt;
}

/* A chunk of the segment under key, zeroed. */
static void *
pfit_chunk(ParallelContext *pcxt, uint64 key, Size size)
{
	void	   *p = shm_toc_allocate(pcxt->toc, size);

	memset(p, 0, size);
	shm_toc_insert(pcxt->toc, key, p);
	return p;
}

/* The result slots, every one empty, and the DSA area the results go to. */
static pg_atomic_uint64 *
pfit_slots(ParallelContext *pcxt, int n_slots, dsa_area **area)
{
	pg_atomic_uint64 *slots = shm_toc_allocate(pcxt->toc, sizeof(pg_atomic_uint64) * n_slots);
	void	   *place;

	for (int t = 0; t < n_slots; t++)
		pg_atomic_init_u64(&slots[t], (uint64) InvalidDsaPointer);
	shm_toc_insert(pcxt->toc, PFIT_KEY_SLOTS, slots);
	place = shm_toc_allocate(pcxt->toc, PMED_FIT_DSA_INITIAL);
	*area = dsa_create_in_place(place, PMED_FIT_DSA_INITIAL, LWTRANCHE_PARALLEL_QUERY_DSA, pcxt->seg);
	dsa_set_size_limit(*area, PMED_FIT_DSA_CAP);
	shm_toc_insert(pcxt->toc, PFIT_KEY_DSA, place);
	return slots;
}

/* A worker's view of the four chunks. */
static dsa_area *
pfit_attach(dsm_segment *seg, shm_toc *toc, void **header, char **arrays, pg_atomic_uint64 **slots)
{
	*header = shm_toc_lookup(toc, PFIT_KEY_HEADER, false);
	*arrays = shm_toc_lookup(toc, PFIT_KEY_ARRAYS, false);
	*slots = shm_toc_lookup(toc, PFIT_KEY_SLOTS, false);
	return dsa_attach_in_place(shm_toc_lookup(toc, PFIT_KEY_DSA, false), seg);
}

/* A piece's result into the DSA area: NULL when it is full (the leader does that piece). */
static void *
pfit_result_alloc(dsa_area *area, Size size, dsa_pointer *dp)
{
	*dp = dsa_allocate_extended(area, size, DSA_ALLOC_HUGE | DSA_ALLOC_NO_OOM);
	return DsaPointerIsValid(*dp) ? dsa_get_address(area, *dp) : NULL;
}

/* A piece's result, written, published in its slot. */
static void
pfit_result_publish(pg_atomic_uint64 *slots, int piece, dsa_pointer dp)
{
	pg_write_barrier();			/* the result's bytes before its slot */
	pg_atomic_write_u64(&slots[piece], (uint64) dp);
}

/* The result of a piece, or NULL when nobody has published it (yet). */
static void *
pfit_result_get(dsa_area *area, pg_atomic_uint64 *slots, int piece, dsa_pointer *dp)
{
	*dp = (dsa_pointer) pg_atomic_read_u64(&slots[piece]);
	if (!DsaPointerIsValid(*dp))
		return NULL;
	pg_read_barrier();			/* the result's bytes were written before its slot */
	return dsa_get_address(area, *dp);
}

/* After WaitForParallelWorkersToFinish and the merge: out of parallel mode. */
static void
pfit_end(ParallelContext *pcxt, dsa_area *area)
{
	dsa_detach(area);
	DestroyParallelContext(pcxt);
	ExitParallelMode();
}

/* ---- forests ---- */

/* The shared arrays: their places in a chunk of *size bytes. */
static void
layout_arrays(const PmedForestShared *sh, bool with_x, PfitOffsets *off, Size *size)
{
	Size		s = 0;

#define PLACE(field, bytes, present) \
	do { \
		if (present) { off->field = (int64) s; s += MAXALIGN((Size) (bytes)); } \
		else off->field = -1; \
	} while (0)

	PLACE(bins, (Size) sh->n * sh->p, true);
	PLACE(nbins, sizeof(int32) * sh->p, true);
	PLACE(bin_lo, sizeof(double) * PMED_FOREST_BINS * (Size) sh->p, true);
	PLACE(bin_hi, sizeof(double) * PMED_FOREST_BINS * (Size) sh->p, true);
	PLACE(usable, sizeof(int32) * Max(sh->n_usable, 1), true);
	PLACE(yc, sizeof(int32) * (Size) sh->n, sh->yc != NULL);
	PLACE(y, sizeof(double) * (Size) sh->n, true);
	PLACE(x, sizeof(double) * (Size) sh->n * sh->p, with_x);
	PLACE(cat_levels, sizeof(int32) * sh->p, sh->cat_levels != NULL);
#undef PLACE
	*size = s;
}

/* Point sh's arrays into the chunk at base. */
static void
attach_arrays(PmedForestShared *sh, const PfitOffsets *off, char *base)
{
#define AT(field) (off->field >= 0 ? (void *) (base + off->field) : NULL)
	sh->bins = AT(bins);
	sh->nbins = AT(nbins);
	sh->bin_lo = AT(bin_lo);
	sh->bin_hi = AT(bin_hi);
	sh->usable = AT(usable);
	sh->yc = AT(yc);
	sh->y = AT(y);
	sh->x = AT(x);
	sh->cat_levels = AT(cat_levels);
#undef AT
}

/* The leader's merge: trees are appended in order as soon as they are ready. */
typedef struct PfitMerge
{
	PmedForestFit *fit;
	int			next;			/* the next tree to append */
} PfitMerge;

/*
 * Append the trees that are ready, in tree order, from m->next on; stops at
 * the first one not ready (a process is still growing it, or it was left).
 */
static void
merge_ready(PfitMerge *m, int n_trees, dsa_area *area, pg_atomic_uint64 *slots)
{
	while (m->next < n_trees)
	{
		dsa_pointer dp;
		void	   *flat = pfit_result_get(area, slots, m->next, &dp);
		PmedForestTree tr;
		PmedError	err = {0};

		if (flat == NULL)
			return;
		pmed_forest_tree_unflatten(flat, &tr);
		if (pmed_forest_append(m->fit, &tr, &err) != PMED_OK)
			pmed_report(&err);
		dsa_free(area, dp);
		m->next++;
	}
}

/*
 * Grow trees until none is left (or a size limit stops everyone), each
 * into the DSA area, its pointer in slots[tree].  The leader (merge not
 * NULL) appends ready trees between its own, so the merge overlaps the
 * workers' growing.  Returns how many this process grew.
 */
static int
grow_trees(PfitHeader *hdr, const PmedForestShared *sh, dsa_area *area, pg_atomic_uint64 *slots,
		   PfitMerge *merge, double *cpu)
{
	PmedForestGrower *g;
	int			grown = 0;
	double		cpu0 = cpu_seconds();

	g = pmed_forest_grower_new(sh);

	for (;;)
	{
		uint32		tree;
		PmedForestTree tr;
		PmedError	err = {0};
		PmedStatus	st;
		dsa_pointer dp;
		Size		size;
		uint64		total;
		void	   *flat;

		CHECK_FOR_INTERRUPTS();
		if (pg_atomic_read_u32(&hdr->stop) != 0 || pg_atomic_read_u32(&hdr->full) != 0)
			break;
		tree = pg_atomic_fetch_add_u32(&hdr->next_tree, 1);
		if (tree >= (uint32) sh->n_trees)
			break;
		st = pmed_forest_grow(g, (int) tree, &tr, &err);
		if (st == PMED_ERR_LIMIT)
		{
			/* the serial fit fails on this tree too: the leader says so */
			pg_atomic_write_u32(&hdr->stop, 1);
			break;
		}
		if (st != PMED_OK)
			pmed_report(&err);
		total = pg_atomic_add_fetch_u64(&hdr->bytes, (uint64) pmed_forest_tree_bytes(&tr));
		if (!pmed_forest_bytes_ok((double) total))
		{
			/* the trees so far already exceed the limit: so would the serial fit */
			pg_atomic_write_u32(&hdr->stop, 1);
			break;
		}
		size = pmed_forest_tree_flat_size(&tr);
		flat = pfit_result_alloc(area, size, &dp);
		if (flat == NULL)
		{
			/* no room for it: the leader grows this tree and the rest itself */
			pg_atomic_write_u32(&hdr->full, 1);
			break;
		}
		pmed_forest_tree_flatten(&tr, flat);
		pfit_result_publish(slots, (int) tree, dp);
		grown++;
		if (merge != NULL)
			merge_ready(merge, sh->n_trees, area, slots);
	}
	pmed_forest_grower_free(g);
	*cpu = cpu_seconds() - cpu0;
	return grown;
}

void
pmed_forest_worker_main(dsm_segment *seg, shm_toc *toc)
{
	PfitHeader *hdr;
	char	   *arrays;
	pg_atomic_uint64 *slots;
	dsa_area   *area = pfit_attach(seg, toc, (void **) &hdr, &arrays, &slots);
	PmedForestShared sh = hdr->sh;
	int			grown;
	double		cpu;

	attach_arrays(&sh, &hdr->off, arrays);
	grown = grow_trees(hdr, &sh, area, slots, NULL, &cpu);
	elog(DEBUG1, "pmed forest fit: parallel worker %d grew %d trees in %.3f s of CPU",
		 ParallelWorkerNumber, grown, cpu);
	dsa_detach(area);
}

/* CPU seconds of this backend when the current fit started */
static double cpu_start;

/* The serial fit: the same grow / append / finish, every tree here. */
static PmedForest *
train_serial(PmedForestFit *fit, double cpu_prepare)
{
	PmedForestGrower *g = pmed_forest_grower_new(pmed_forest_fit_shared(fit));
	int			n_trees = pmed_forest_fit_shared(fit)->n_trees;
	PmedForest *f;
	PmedError	err = {0};
	double		cpu0 = cpu_seconds();

	for (int tree = 0; tree < n_trees; tree++)
	{
		PmedForestTree tr;

		if (pmed_forest_grow(g, tree, &tr, &err) != PMED_OK ||
			pmed_forest_append(fit, &tr, &err) != PMED_OK)
			pmed_report(&err);
	}
	pmed_forest_grower_free(g);
	cpu0 = cpu_seconds() - cpu0;
	elog(DEBUG1, "pmed forest fit: %d trees grown serially in %.3f s of CPU", n_trees, cpu0);
	if (pmed_forest_finish(fit, &f, &err) != PMED_OK)
		pmed_report(&err);
	elog(DEBUG1, "pmed forest fit: backend CPU: binning %.3f s, trees %.3f s, the rest of the fit %.3f s",
		 cpu_prepare, cpu0, cpu_seconds() - cpu_prepare - cpu0 - cpu_start);
	return f;
}

PmedForest *
pmed_forest_train_parallel(const PmedDataset *ds, const PmedForestParams *par)
{
	PmedForestFit *fit;
	const PmedForestShared *sh;
	PmedForest *f;
	PmedError	err = {0};
	PfitOffsets off;
	Size		arrays_size;
	int			nworkers;
	ParallelContext *pcxt;
	PfitHeader *hdr;
	char	   *arrays;
	pg_atomic_uint64 *slots;
	PfitMerge	merge;
	dsa_area   *area;
	PmedForestShared lsh;
	int			leader_grown;
	double		leader_cpu;
	double		cpu_prepare;
	bool		with_x;
	PmedForestGrower *g = NULL;

	cpu_start = cpu_seconds();
	if (pmed_forest_prepare(ds, par, &fit, &err) != PMED_OK)
		pmed_report(&err);
	cpu_prepare = cpu_seconds() - cpu_start;
	sh = pmed_forest_fit_shared(fit);
	/* rows for the out-of-bag walk and permutation importance */
	with_x = sh->oob || sh->importance == PMED_FOREST_IMPORTANCE_PERMUTATION;
	layout_arrays(sh, with_x, &off, &arrays_size);
	nworkers = pfit_workers_wanted("forest", (double) sh->n * sh->n_trees, sh->n_trees, arrays_size);
	if (nworkers == 0)
		return train_serial(fit, cpu_prepare);

	pcxt = pfit_begin("pmed_forest_worker_main", nworkers, sizeof(PfitHeader), arrays_size,
					  sh->n_trees);
	if (pcxt == NULL)
		return train_serial(fit, cpu_prepare);

	hdr = pfit_chunk(pcxt, PFIT_KEY_HEADER, sizeof(PfitHeader));
	hdr->sh = *sh;
	hdr->off = off;
	pg_atomic_init_u32(&hdr->next_tree, 0);
	pg_atomic_init_u32(&hdr->stop, 0);
	pg_atomic_init_u32(&hdr->full, 0);
	pg_atomic_init_u64(&hdr->bytes, 0);

	arrays = pfit_chunk(pcxt, PFIT_KEY_ARRAYS, arrays_size);
	lsh = *sh;
	attach_arrays(&lsh, &off, arrays);
	memcpy((void *) lsh.bins, sh->bins, (Size) sh->n * sh->p);
	memcpy((void *) lsh.nbins, sh->nbins, sizeof(int32) * sh->p);
	memcpy((void *) lsh.bin_lo, sh->bin_lo, sizeof(double) * PMED_FOREST_BINS * (Size) sh->p);
	memcpy((void *) lsh.bin_hi, sh->bin_hi, sizeof(double) * PMED_FOREST_BINS * (Size) sh->p);
	memcpy((void *) lsh.usable, sh->usable, sizeof(int32) * sh->n_usable);
	if (sh->yc != NULL)
		memcpy((void *) lsh.yc, sh->yc, sizeof(int32) * (Size) sh->n);
	memcpy((void *) lsh.y, sh->y, sizeof(double) * (Size) sh->n);
	if (with_x)
		memcpy((void *) lsh.x, sh->x, sizeof(double) * (Size) sh->n * sh->p);
	if (sh->cat_levels != NULL)
		memcpy((void *) lsh.cat_levels, sh->cat_levels, sizeof(int32) * sh->p);
	slots = pfit_slots(pcxt, sh->n_trees, &area);

	LaunchParallelWorkers(pcxt);
	/* the leader takes trees as a worker does */
	merge.fit = fit;
	merge.next = 0;
	leader_grown = grow_trees(hdr, &lsh, area, slots, &merge, &leader_cpu);
	WaitForParallelWorkersToFinish(pcxt);
	ereport(DEBUG1,
			(errmsg("pmed forest fit: %d trees grown by the leader and %d parallel workers (%d asked for); the leader grew %d in %.3f s of CPU",
					sh->n_trees, pcxt->nworkers_launched, nworkers, leader_grown, leader_cpu)));

	/* the rest of the merge, in tree order */
	for (int t = merge.next; t < sh->n_trees; t++)
	{
		PmedForestTree tr;
		dsa_pointer dp;
		void	   *flat = pfit_result_get(area, slots, t, &dp);

		CHECK_FOR_INTERRUPTS();
		if (flat == NULL && pg_atomic_read_u32(&hdr->stop) == 0)
		{
			/* left when the DSA area was full: grown here, the same tree */
			if (g == NULL)
				g = pmed_forest_grower_new(sh);
			if (pmed_forest_grow(g, t, &tr, &err) != PMED_OK ||
				pmed_forest_append(fit, &tr, &err) != PMED_OK)
				pmed_report(&err);
			continue;
		}
		if (flat == NULL)
		{
			/* a size limit stopped the growing: the serial fit's error */
			pmed_fail(&err, PMED_ERR_LIMIT, "random forest too large");
			pmed_fail_detail(&err, "The encoded model would exceed the 1 GB limit of a bytea value. Use fewer trees, a larger min_leaf or a max_depth.");
			pmed_report(&err);
		}
		pmed_forest_tree_unflatten(flat, &tr);
		if (pmed_forest_append(fit, &tr, &err) != PMED_OK)
			pmed_report(&err);
	}
	if (g != NULL)
		pmed_forest_grower_free(g);
	pfit_end(pcxt, area);

	if (pmed_forest_finish(fit, &f, &err) != PMED_OK)
		pmed_report(&err);
	elog(DEBUG1, "pmed forest fit: backend CPU: binning %.3f s, trees %.3f s, the rest of the fit %.3f s",
		 cpu_prepare, leader_cpu, cpu_seconds() - cpu_start - cpu_prepare - leader_cpu);
	return f;
}

/* ---- SVM one-vs-one class pairs ---- */

typedef struct PsvmHeader
{
	PmedSvmShared sh;			/* sizes and settings; its pointers are not used */
	int64		off_z,
				off_cls,
				off_start,
				off_cw,
				off_order;
	pg_atomic_uint32 next_pair; /* the next place in order[] nobody has taken */
	pg_atomic_uint32 full;		/* the DSA area is full: the leader solves the rest */
} PsvmHeader;

PGDLLEXPORT void pmed_svm_worker_main(dsm_segment *seg, shm_toc *toc);

/* Places of the shared arrays in a chunk of *size bytes. */
static void
svm_layout(const PmedSvmShared *sh, PsvmHeader *hdr, Size *size)
{
	Size		s = 0;

	hdr->off_z = (int64) s;
	s += MAXALIGN(sizeof(double) * (Size) sh->n * sh->p);
	hdr->off_cls = (int64) s;
	s += MAXALIGN(sizeof(int) * (Size) sh->n);
	hdr->off_start = (int64) s;
	s += MAXALIGN(sizeof(int64) * (Size) (sh->k + 1));
	hdr->off_cw = (int64) s;
	s += MAXALIGN(sizeof(double) * (Size) sh->k);
	hdr->off_order = (int64) s;
	s += MAXALIGN(sizeof(int32) * (Size) sh->n_pairs);
	*size = s;
}

/* Rows of pair q's problem. */
static int64
svm_pair_rows(const PmedSvmShared *sh, int q)
{
	int			a = 0;

	for (; q >= sh->k - 1 - a; a++)
		q -= sh->k - 1 - a;
	return sh->start[a + 1] - sh->start[a] + sh->start[a + 2 + q] - sh->start[a + 1 + q];
}

/*
 * The order processes take the pairs in: the largest problems first (ties
 * in pair order), so that a large pair taken last does not leave the other
 * processes idle.  Only the time depends on it: pairs are appended in pair
 * order.
 */
static void
svm_pair_order(const PmedSvmShared *sh, int32 *order)
{
	for (int i = 0; i < sh->n_pairs; i++)
	{
		int			q = i,
					j = i;
		int64		l = svm_pair_rows(sh, q);

		/* insertion sort, descending rows: k(k-1)/2 is small */
		while (j > 0 && svm_pair_rows(sh, order[j - 1]) < l)
		{
			order[j] = order[j - 1];
			j--;
		}
		order[j] = q;
	}
}

static void
svm_attach(PmedSvmShared *sh, const PsvmHeader *hdr, char *base)
{
	sh->z = (const double *) (base + hdr->off_z);
	sh->cls = (const int *) (base + hdr->off_cls);
	sh->start = (const int64 *) (base + hdr->off_start);
	sh->cw = (const double *) (base + hdr->off_cw);
}

/* The leader's merge: pairs appended in pair order as soon as they are ready. */
static void
svm_merge_ready(PmedSvmFit *fit, const PmedSvmShared *sh, int *next, dsa_area *area,
				pg_atomic_uint64 *slots)
{
	while (*next < sh->n_pairs)
	{
		dsa_pointer dp;
		void	   *flat = pfit_result_get(area, slots, *next, &dp);
		PmedSvmPair r;
		PmedError	err = {0};

		if (flat == NULL)
			return;
		pmed_svm_pair_unflatten(sh, flat, &r);
		if (pmed_svm_append(fit, &r, &err) != PMED_OK)
			pmed_report(&err);
		dsa_free(area, dp);
		(*next)++;
	}
}

/*
 * Solve pairs until none is left, each result into the DSA area.  The
 * leader (fit not NULL) appends ready pairs between its own.  Returns how
 * many this process solved.
 */
static int
solve_pairs(PsvmHeader *hdr, const PmedSvmShared *sh, const int32 *order, dsa_area *area,
			pg_atomic_uint64 *slots, PmedSvmFit *fit, int *next, double *cpu)
{
	int			solved = 0;
	double		cpu0 = cpu_seconds();

	for (;;)
	{
		uint32		q;
		PmedSvmPair r;
		PmedError	err = {0};
		dsa_pointer dp;
		void	   *flat;

		CHECK_FOR_INTERRUPTS();
		if (pg_atomic_read_u32(&hdr->full) != 0)
			break;
		q = pg_atomic_fetch_add_u32(&hdr->next_pair, 1);
		if (q >= (uint32) sh->n_pairs)
			break;
		q = (uint32) order[q];
		if (pmed_svm_solve_pair(sh, (int) q, &r, &err) != PMED_OK)
			pmed_report(&err);
		flat = pfit_result_alloc(area, pmed_svm_pair_flat_size(sh, &r), &dp);
		if (flat == NULL)
		{
			/* no room for it: the leader solves this pair and the rest itself */
			pmed_svm_pair_free(&r);
			pg_atomic_write_u32(&hdr->full, 1);
			break;
		}
		pmed_svm_pair_flatten(sh, &r, flat);
		pmed_svm_pair_free(&r);
		pfit_result_publish(slots, (int) q, dp);
		solved++;
		if (fit != NULL)
			svm_merge_ready(fit, sh, next, area, slots);
	}
	*cpu = cpu_seconds() - cpu0;
	return solved;
}

void
pmed_svm_worker_main(dsm_segment *seg, shm_toc *toc)
{
	PsvmHeader *hdr;
	char	   *arrays;
	pg_atomic_uint64 *slots;
	dsa_area   *area = pfit_attach(seg, toc, (void **) &hdr, &arrays, &slots);
	PmedSvmShared sh = hdr->sh;
	int			solved;
	double		cpu;

	svm_attach(&sh, hdr, arrays);
	solved = solve_pairs(hdr, &sh, (const int32 *) (arrays + hdr->off_order), area, slots,
						 NULL, NULL, &cpu);
	elog(DEBUG1, "pmed svm fit: parallel worker %d solved %d class pairs in %.3f s of CPU",
		 ParallelWorkerNumber, solved, cpu);
	dsa_detach(area);
}

/* Solve pair q here and append it (the serial fit's step). */
static void
svm_solve_append(PmedSvmFit *fit, const PmedSvmShared *sh, int q)
{
	PmedSvmPair r;
	PmedError	err = {0};

	if (pmed_svm_solve_pair(sh, q, &r, &err) != PMED_OK ||
		pmed_svm_append(fit, &r, &err) != PMED_OK)
		pmed_report(&err);
}

static PmedSvmModel *
svm_finish(PmedSvmFit *fit)
{
	PmedSvmModel *m;
	PmedError	err = {0};

	if (pmed_svm_finish(fit, &m, &err) != PMED_OK)
		pmed_report(&err);
	return m;
}

/*
 * The work of an SVM fit, for pmed.fit_workers_min_work: rows x features
 * summed over the pairs (one pass over each pair's problem), times 2 for
 * the RBF kernel (its cost grows faster than the rows: measured, 0.8 to
 * 2.6 us of CPU per unit on 3,000 to 16,000 rows, against 0.4 for linear),
 * times 5 with Platt probabilities (5 cross-validation fits on 4/5 of the
 * rows each).  So a unit costs about what a forest's row x tree does
 * (0.5 us), and the one threshold (about 0.5 s of serial fit) serves both.
 */
static double
svm_work(const PmedSvmShared *sh)
{
	double		work = 0;

	for (int a = 0; a < sh->k; a++)
		for (int b = a + 1; b < sh->k; b++)
			work += (double) (sh->start[a + 1] - sh->start[a] + sh->start[b + 1] - sh->start[b]) * sh->p;
	if (sh->params.kernel == PMED_SVM_RBF)
		work *= 2;
	return sh->params.probability ? 5 * work : work;
}

PmedSvmModel *
pmed_svm_train_parallel(const PmedDataset *ds, const PmedSvmParams *params)
{
	PmedSvmFit *fit;
	const PmedSvmShared *sh;
	PmedError	err = {0};
	PsvmHeader	layout;
	Size		arrays_size;
	int			nworkers;
	ParallelContext *pcxt;
	PsvmHeader *hdr;
	char	   *arrays;
	pg_atomic_uint64 *slots;
	dsa_area   *area;
	PmedSvmShared lsh;
	int			next = 0;
	int			leader_solved;
	double		leader_cpu;

	if (pmed_svm_prepare(ds, params, &fit, &err) != PMED_OK)
		pmed_report(&err);
	sh = pmed_svm_fit_shared(fit);
	memset(&layout, 0, sizeof(layout));
	svm_layout(sh, &layout, &arrays_size);
	nworkers = pfit_workers_wanted("svm", svm_work(sh), sh->n_pairs, arrays_size);
	if (nworkers > 0)
		pcxt = pfit_begin("pmed_svm_worker_main", nworkers, sizeof(PsvmHeader), arrays_size,
						  sh->n_pairs);
	else
		pcxt = NULL;
	if (pcxt == NULL)
	{
		/* serial: pmed_svm_fit's steps */
		for (int q = 0; q < sh->n_pairs; q++)
			svm_solve_append(fit, sh, q);
		return svm_finish(fit);
	}

	hdr = pfit_chunk(pcxt, PFIT_KEY_HEADER, sizeof(PsvmHeader));
	*hdr = layout;
	hdr->sh = *sh;
	pg_atomic_init_u32(&hdr->next_pair, 0);
	pg_atomic_init_u32(&hdr->full, 0);

	arrays = pfit_chunk(pcxt, PFIT_KEY_ARRAYS, arrays_size);
	lsh = *sh;
	svm_attach(&lsh, hdr, arrays);
	memcpy((void *) lsh.z, sh->z, sizeof(double) * (Size) sh->n * sh->p);
	memcpy((void *) lsh.cls, sh->cls, sizeof(int) * (Size) sh->n);
	memcpy((void *) lsh.start, sh->start, sizeof(int64) * (Size) (sh->k + 1));
	memcpy((void *) lsh.cw, sh->cw, sizeof(double) * (Size) sh->k);
	svm_pair_order(sh, (int32 *) (arrays + hdr->off_order));
	slots = pfit_slots(pcxt, sh->n_pairs, &area);

	LaunchParallelWorkers(pcxt);
	/* the leader takes pairs as a worker does */
	leader_solved = solve_pairs(hdr, &lsh, (const int32 *) (arrays + hdr->off_order), area, slots,
								fit, &next, &leader_cpu);
	WaitForParallelWorkersToFinish(pcxt);
	elog(DEBUG1, "pmed svm fit: %d class pairs solved by the leader and %d parallel workers (%d asked for); the leader solved %d in %.3f s of CPU",
		 sh->n_pairs, pcxt->nworkers_launched, nworkers, leader_solved, leader_cpu);

	/* the rest of the merge, in pair order */
	for (; next < sh->n_pairs; next++)
	{
		dsa_pointer dp;
		void	   *flat = pfit_result_get(area, slots, next, &dp);
		PmedSvmPair r;

		CHECK_FOR_INTERRUPTS();
		if (flat == NULL)
		{
			/* left when the DSA area was full: solved here, the same pair */
			svm_solve_append(fit, &lsh, next);
			continue;
		}
		pmed_svm_pair_unflatten(sh, flat, &r);
		if (pmed_svm_append(fit, &r, &err) != PMED_OK)
			pmed_report(&err);
	}
	pfit_end(pcxt, area);
	return svm_finish(fit);
}
