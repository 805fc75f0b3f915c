/*
 * module.c - module set-up: the magic block, and _PG_init, which installs
 * the hooks through which the pure core allocates memory (in the current
 * memory context) and checks for interrupts, and defines the GUC
 * pmed.max_training_memory with its checks (the memory budget of training).
 */
#include "pmed.h"

#include <limits.h>
#include <math.h>

#include "miscadmin.h"
#include "postmaster/bgworker_internals.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "parallel_fit.h"

/* PostgreSQL 18 lets a module report its name and version. */
#if PG_VERSION_NUM >= 180000
PG_MODULE_MAGIC_EXT(.name = "pmed", .version = "0.3.0");
#else
PG_MODULE_MAGIC;
#endif

void		_PG_init(void);

/* pmed.max_training_memory, in kB (0 = no limit) */
static int	max_training_memory_kb = 4 * 1024 * 1024;

/* While a training fits: the contexts whose memory counts against the budget. */
static MemoryContext budget_context[2];

/* "1.5 GB", "300 MB", "12 kB" */
static char *
pretty_bytes(double b)
{
	if (b >= 1024.0 * 1024 * 1024)
		return psprintf("%.1f GB", b / (1024.0 * 1024 * 1024));
	if (b >= 1024.0 * 1024)
		return psprintf("%.0f MB", b / (1024.0 * 1024));
	return psprintf("%.0f kB", b / 1024.0);
}

/*
 * Refuse to go past pmed.max_training_memory: context holds the training's
 * memory so far (the aggregate state's context as rows arrive; NULL = the
 * contexts registered by pmed_training_budget_begin), request is what the
 * next allocation adds, what names it.  ERROR 53200 when over the limit.
 */
void
pmed_training_memory_check(MemoryContext context, Size request, const char *what)
{
	Size		used = 0;
	Size		limit;
	double		need_mb;

	if (max_training_memory_kb <= 0)
		return;
	if (context != NULL)
		used = MemoryContextMemAllocated(context, true);
	else
		for (int i = 0; i < 2; i++)
			if (budget_context[i] != NULL)
				used += MemoryContextMemAllocated(budget_context[i], true);
	limit = (Size) max_training_memory_kb * 1024;
	if (used + request <= limit)
		return;
	/* a limit that lets this training through, rounded up to 256 MB */
	need_mb = ceil(((double) used + request) * 1.25 / (256.0 * 1024 * 1024)) * 256;
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("pmed training needs more memory than pmed.max_training_memory allows"),
			 errdetail("The training held %s and needed %s more for %s; the limit is %s.",
					   pretty_bytes(used), pretty_bytes(request), what, pretty_bytes(limit)),
			 errhint("Raise the limit (for example SET pmed.max_training_memory = '%.0fMB'), or train on a sample of the rows (TABLESAMPLE or a WHERE clause).",
					 need_mb)));
}

void
pmed_training_budget_end(void)
{
	budget_context[0] = NULL;
	budget_context[1] = NULL;
}

static void
budget_reset_callback(void *arg)
{
	pmed_training_budget_end();
}

/*
 * From now on every core allocation is checked against the budget, counting
 * the memory of state_context (the rows) and work (the fit's context).  It
 * ends when work is deleted or reset (also on error) or by
 * pmed_training_budget_end.
 */
void
pmed_training_budget_begin(MemoryContext state_context, MemoryContext work)
{
	MemoryContextCallback *cb = MemoryContextAlloc(work, sizeof(MemoryContextCallback));

	cb->func = budget_reset_callback;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(work, cb);
	/* a context inside the other would count twice */
	for (MemoryContext c = work; c != NULL; c = c->parent)
		if (c == state_context)
			state_context = NULL;
	budget_context[0] = work;
	budget_context[1] = state_context;
}

/* Zeroing is done in steps of this many bytes, checking for interrupts. */
#define ZERO_STEP	((size_t) 4 * 1024 * 1024)

static void *
pg_alloc(size_t size)
{
	char	   *p;

	if (budget_context[0] != NULL)
		pmed_training_memory_check(NULL, size, "the model's working memory");
	if (size < ZERO_STEP)
		return MemoryContextAllocExtended(CurrentMemoryContext, size ? size : 1,
										  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	/*
	 * Zeroing fresh memory faults its pages in: hundreds of ms for tens of
	 * MB on a loaded virtual machine.  Zero it step by step, so a cancel is
	 * not held up.
	 */
	p = MemoryContextAllocExtended(CurrentMemoryContext, size, MCXT_ALLOC_HUGE);
	for (size_t off = 0; off < size; off += ZERO_STEP)
	{
		CHECK_FOR_INTERRUPTS();
		memset(p + off, 0, Min(ZERO_STEP, size - off));
	}
	return p;
}

static void *
pg_realloc(void *ptr, size_t size)
{
	if (budget_context[0] != NULL)
		pmed_training_memory_check(NULL, size, "the model's working memory");
	return repalloc_huge(ptr, size ? size : 1);
}

static void
pg_free(void *ptr)
{
	pfree(ptr);
}

static void
pg_check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

void
_PG_init(void)
{
	static const PmedHooks hooks = {pg_alloc, pg_realloc, pg_free, pg_check_interrupts};

	pmed_set_hooks(&hooks);

	DefineCustomIntVariable("pmed.max_training_memory",
							"Memory one pmed training may use (rows held, dense copy, model fitting); 0 = no limit.",
							"Past it the training stops with SQLSTATE 53200 before allocating more.",
							&max_training_memory_kb,
							4 * 1024 * 1024,
							0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pmed.fit_workers",
							"Parallel workers a forest or SVM fit may launch to grow its trees or solve its class pairs (the backend works too); 0 = serial.",
							"The model is the same with any number. Workers come from max_worker_processes and max_parallel_workers; none are launched inside a parallel worker or for a small fit.",
							&pmed_fit_workers,
							2,
							0, MAX_PARALLEL_WORKER_LIMIT,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pmed.fit_workers_min_work",
							"Smallest fit (forest: rows times trees; SVM: rows times features over the class pairs, times 2 for rbf and 5 with probabilities) for which pmed.fit_workers are launched.",
							NULL,
							&pmed_fit_workers_min_work,
							1000000,
							0, INT_MAX,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("pmed");
}
