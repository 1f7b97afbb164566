/* FFTW plans shared by every engine and thread of the process, refined in the background (fftw-plans.c). */
#ifndef PLANTWATCH_FFTW_PLANS_H
#define PLANTWATCH_FFTW_PLANS_H
#include <fftw3.h>

enum transform_kind { REAL_FORWARD, COMPLEX_BACKWARD };

struct shared_plan;

/* The process's plan for a transform of this kind and size (made now, estimated); NULL without memory. */
struct shared_plan *shared_plan_for(enum transform_kind kind, int size);

/* The plan to execute now. Counts a use: a plan run often enough is refined in the background. */
fftwf_plan shared_plan_use(struct shared_plan *plan);

/* An engine that has added `windows` windows: at the thresholds its plans are refined (NULLs skipped). */
void shared_plans_engine_windows(struct shared_plan **plans, int count, int windows);

/* Plans being refined in the background right now. */
int shared_plans_refining(void);

#endif
