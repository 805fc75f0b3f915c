/*
 * parallel_fit.c - a forest's trees grown by PostgreSQL parallel workers.
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

/* CPU seconds (user + system) this process has used. */
static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
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
		dsa_pointer dp = (dsa_pointer) pg_atomic_read_u64(&slots[m->next]);
		PmedForestTree tr;
		PmedError	err = {0};

		if (!DsaPointerIsValid(dp))
			return;
		pg_read_barrier();		/* the tree's bytes were written before its slot */
		pmed_forest_tree_unflatten(dsa_get_address(area, dp), &tr);
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
		dp = dsa_allocate_extended(area, size, DSA_ALLOC_HUGE | DSA_ALLOC_NO_OOM);
		if (!DsaPointerIsValid(dp))
		{
			/* no room for it: the leader grows this tree and the rest itself */
			pg_atomic_write_u32(&hdr->full, 1);
			break;
		}
		pmed_forest_tree_flatten(&tr, dsa_get_address(area, dp));
		pg_write_barrier();		/* the tree's bytes before its slot */
		pg_atomic_write_u64(&slots[tree], (uint64) dp);
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
	PfitHeader *hdr = shm_toc_lookup(toc, PFIT_KEY_HEADER, false);
	char	   *arrays = shm_toc_lookup(toc, PFIT_KEY_ARRAYS, false);
	pg_atomic_uint64 *slots = shm_toc_lookup(toc, PFIT_KEY_SLOTS, false);
	void	   *place = shm_toc_lookup(toc, PFIT_KEY_DSA, false);
	PmedForestShared sh = hdr->sh;
	dsa_area   *area;
	int			grown;
	double		cpu;

	attach_arrays(&sh, &hdr->off, arrays);
	area = dsa_attach_in_place(place, seg);
	grown = grow_trees(hdr, &sh, area, slots, NULL, &cpu);
	elog(DEBUG1, "pmed forest fit: parallel worker %d grew %d trees in %.3f s of CPU",
		 ParallelWorkerNumber, grown, cpu);
	dsa_detach(area);
}

/* How many workers to ask for, 0 = serial (the guard). */
static int
workers_wanted(const PmedForestShared *sh, Size arrays_size)
{
	int			n = pmed_fit_workers;

	if (n <= 0 || IsParallelWorker() || sh->n_trees < 2)
		return 0;
	if ((double) sh->n * sh->n_trees < (double) pmed_fit_workers_min_work)
		return 0;
	if (arrays_size > PMED_FIT_DSM_CAP)
	{
		elog(DEBUG1, "pmed forest fit: serial, the shared data (%zu bytes) is over the cap",
			 arrays_size);
		return 0;
	}
	/* the leader grows trees too */
	return Min(n, sh->n_trees - 1);
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
	Size		slots_size;
	int			nworkers;
	ParallelContext *pcxt;
	PfitHeader *hdr;
	char	   *arrays;
	pg_atomic_uint64 *slots;
	PfitMerge	merge;
	void	   *place;
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
	nworkers = workers_wanted(sh, arrays_size);
	if (nworkers == 0)
		return train_serial(fit, cpu_prepare);

	slots_size = sizeof(pg_atomic_uint64) * sh->n_trees;
	EnterParallelMode();
	pcxt = CreateParallelContext("pmed", "pmed_forest_worker_main", nworkers);
	shm_toc_estimate_chunk(&pcxt->estimator, sizeof(PfitHeader));
	shm_toc_estimate_chunk(&pcxt->estimator, arrays_size);
	shm_toc_estimate_chunk(&pcxt->estimator, slots_size);
	shm_toc_estimate_chunk(&pcxt->estimator, PMED_FIT_DSA_INITIAL);
	shm_toc_estimate_keys(&pcxt->estimator, 4);
	InitializeParallelDSM(pcxt);
	if (pcxt->seg == NULL)
	{
		/* no dynamic shared memory to be had: serial, the same model */
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		elog(DEBUG1, "pmed forest fit: serial, no dynamic shared memory segment");
		return train_serial(fit, cpu_prepare);
	}

	hdr = shm_toc_allocate(pcxt->toc, sizeof(PfitHeader));
	memset(hdr, 0, sizeof(PfitHeader));
	hdr->sh = *sh;
	hdr->off = off;
	pg_atomic_init_u32(&hdr->next_tree, 0);
	pg_atomic_init_u32(&hdr->stop, 0);
	pg_atomic_init_u32(&hdr->full, 0);
	pg_atomic_init_u64(&hdr->bytes, 0);
	shm_toc_insert(pcxt->toc, PFIT_KEY_HEADER, hdr);

	arrays = shm_toc_allocate(pcxt->toc, arrays_size);
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
	shm_toc_insert(pcxt->toc, PFIT_KEY_ARRAYS, arrays);

	slots = shm_toc_allocate(pcxt->toc, slots_size);
	for (int t = 0; t < sh->n_trees; t++)
		pg_atomic_init_u64(&slots[t], (uint64) InvalidDsaPointer);
	shm_toc_insert(pcxt->toc, PFIT_KEY_SLOTS, slots);

	place = shm_toc_allocate(pcxt->toc, PMED_FIT_DSA_INITIAL);
	area = dsa_create_in_place(place, PMED_FIT_DSA_INITIAL, LWTRANCHE_PARALLEL_QUERY_DSA, pcxt->seg);
	dsa_set_size_limit(area, PMED_FIT_DSA_CAP);
	shm_toc_insert(pcxt->toc, PFIT_KEY_DSA, place);

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
		dsa_pointer dp = (dsa_pointer) pg_atomic_read_u64(&slots[t]);

		CHECK_FOR_INTERRUPTS();
		if (!DsaPointerIsValid(dp) && pg_atomic_read_u32(&hdr->stop) == 0)
		{
			/* left when the DSA area was full: grown here, the same tree */
			if (g == NULL)
				g = pmed_forest_grower_new(sh);
			if (pmed_forest_grow(g, t, &tr, &err) != PMED_OK ||
				pmed_forest_append(fit, &tr, &err) != PMED_OK)
				pmed_report(&err);
			continue;
		}
		if (!DsaPointerIsValid(dp))
		{
			/* a size limit stopped the growing: the serial fit's error */
			pmed_fail(&err, PMED_ERR_LIMIT, "random forest too large");
			pmed_fail_detail(&err, "The encoded model would exceed the 1 GB limit of a bytea value. Use fewer trees, a larger min_leaf or a max_depth.");
			pmed_report(&err);
		}
		pg_read_barrier();
		pmed_forest_tree_unflatten(dsa_get_address(area, dp), &tr);
		if (pmed_forest_append(fit, &tr, &err) != PMED_OK)
			pmed_report(&err);
	}
	if (g != NULL)
		pmed_forest_grower_free(g);
	dsa_detach(area);
	DestroyParallelContext(pcxt);
	ExitParallelMode();

	if (pmed_forest_finish(fit, &f, &err) != PMED_OK)
		pmed_report(&err);
	elog(DEBUG1, "pmed forest fit: backend CPU: binning %.3f s, trees %.3f s, the rest of the fit %.3f s",
		 cpu_prepare, leader_cpu, cpu_seconds() - cpu_start - cpu_prepare - leader_cpu);
	return f;
}
