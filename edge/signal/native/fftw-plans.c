/*
 * FFTW plans, one per transform kind and size, shared by every engine and thread of the process
 * (FFTW's new-array execute functions are thread-safe; its planner is not, so planning holds one
 * lock).
 *
 * A plan starts as FFTW_ESTIMATE, made in microseconds, so a one-shot `plantwatch diagnose` does
 * not wait for planning. Used often (MEASURE_AFTER transforms across engines, or an engine's
 * MEASURE_AFTER windows: a long record, an agent's first minute) it is re-planned with
 * FFTW_MEASURE, about half a second per size; used for long (PATIENT_AFTER: an agent's first
 * minutes) with FFTW_PATIENT, several seconds per size. Measured on the bench machine, at N = 16384
 * the three transforms of a window take 52 µs measured and 42 µs patient (interleaved, 10 rounds).
 * Re-planning runs on a thread of its own: the analysis goes on with the plan it has and never
 * waits. A replaced plan is kept, as a thread may be executing it.
 */
#include "fftw-plans.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define MEASURE_AFTER 256
#define PATIENT_AFTER 4096
/* FFTW gives up searching after this long and keeps the best plan found (a large size, a slow machine). */
#define PLANNING_SECONDS 10.0

enum level { ESTIMATED, MEASURED, PATIENT, LEVELS };

static const unsigned LEVEL_FLAGS[LEVELS] = {FFTW_ESTIMATE, FFTW_MEASURE, FFTW_PATIENT};

struct shared_plan {
  enum transform_kind kind;
  int size;
  _Atomic(fftwf_plan) plan;
  /* The level of the plan stored; written under planner_lock. */
  enum level level;
  atomic_uint uses;
  /* Set by the first to ask for that level: each is planned once. */
  atomic_flag requested[LEVELS];
  struct shared_plan *next;
};

static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shared_plan *plans = NULL;
static atomic_int refining = 0;

/* Callers hold planner_lock. */
static fftwf_plan make_plan(enum transform_kind kind, int size, enum level level) {
  fftwf_set_timelimit(level == ESTIMATED ? FFTW_NO_TIMELIMIT : PLANNING_SECONDS);
  unsigned flags = LEVEL_FLAGS[level];
  fftwf_plan plan = NULL;
  if (kind == REAL_FORWARD) {
    float *in = fftwf_alloc_real((size_t)size);
    fftwf_complex *out = fftwf_alloc_complex((size_t)size / 2 + 1);
    if (in && out) plan = fftwf_plan_dft_r2c_1d(size, in, out, flags);
    fftwf_free(in);
    fftwf_free(out);
  } else {
    fftwf_complex *in = fftwf_alloc_complex((size_t)size);
    fftwf_complex *out = fftwf_alloc_complex((size_t)size);
    if (in && out) plan = fftwf_plan_dft_1d(size, in, out, FFTW_BACKWARD, flags);
    fftwf_free(in);
    fftwf_free(out);
  }
  return plan;
}

struct shared_plan *shared_plan_for(enum transform_kind kind, int size) {
  pthread_mutex_lock(&planner_lock);
  struct shared_plan *entry = plans;
  while (entry && !(entry->kind == kind && entry->size == size)) entry = entry->next;
  if (!entry) {
    fftwf_plan plan = make_plan(kind, size, ESTIMATED);
    entry = plan ? calloc(1, sizeof *entry) : NULL;
    if (entry) {
      entry->kind = kind;
      entry->size = size;
      atomic_init(&entry->plan, plan);
      entry->level = ESTIMATED;
      atomic_init(&entry->uses, 0);
      for (int l = 0; l < LEVELS; l++) atomic_flag_clear(&entry->requested[l]);
      entry->next = plans;
      plans = entry;
    }
  }
  pthread_mutex_unlock(&planner_lock);
  return entry;
}

struct refining_job {
  enum level level;
  int count;
  struct shared_plan *entries[];
};

static void *refine(void *argument) {
  struct refining_job *job = argument;
  for (int i = 0; i < job->count; i++) {
    struct shared_plan *entry = job->entries[i];
    pthread_mutex_lock(&planner_lock);
    // A higher level may have been planned meanwhile (by another job): never step down.
    if (entry->level < job->level) {
      fftwf_plan plan = make_plan(entry->kind, entry->size, job->level);
      if (plan) {
        atomic_store(&entry->plan, plan);
        entry->level = job->level;
      }
    }
    pthread_mutex_unlock(&planner_lock);
    atomic_fetch_sub(&refining, 1);
  }
  free(job);
#ifdef __GLIBC__
  // Planning allocates tens of MB of trial buffers in this thread's own malloc arena; freed, they
  // would still count in the agent's resident memory (measured: +25 MB) until given back here.
  malloc_trim(0);
#endif
  return NULL;
}

/* Starts planning at `level` those entries nobody has asked that of; without a thread they stay as they are. */
static void refine_in_background(struct shared_plan **entries, int count, enum level level) {
  struct refining_job *job = malloc(sizeof *job + sizeof(struct shared_plan *) * (size_t)count);
  if (!job) return;
  job->level = level;
  job->count = 0;
  for (int i = 0; i < count; i++)
    if (entries[i] && !atomic_flag_test_and_set(&entries[i]->requested[level]))
      job->entries[job->count++] = entries[i];
  pthread_t thread;
  pthread_attr_t attributes;
  int started = job->count > 0 && pthread_attr_init(&attributes) == 0;
  if (started) {
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    atomic_fetch_add(&refining, job->count);
    started = pthread_create(&thread, &attributes, refine, job) == 0;
    if (!started) atomic_fetch_sub(&refining, job->count);
    pthread_attr_destroy(&attributes);
  }
  if (!started) free(job);
}

static void refine_at(struct shared_plan **entries, int count, unsigned uses) {
  if (uses == MEASURE_AFTER) refine_in_background(entries, count, MEASURED);
  else if (uses == PATIENT_AFTER) refine_in_background(entries, count, PATIENT);
}

fftwf_plan shared_plan_use(struct shared_plan *entry) {
  refine_at(&entry, 1, atomic_fetch_add_explicit(&entry->uses, 1, memory_order_relaxed) + 1);
  return atomic_load(&entry->plan);
}

void shared_plans_engine_windows(struct shared_plan **entries, int count, int windows) {
  if (windows > 0) refine_at(entries, count, (unsigned)windows);
}

int shared_plans_refining(void) { return atomic_load(&refining); }
