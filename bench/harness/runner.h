// Runs an experiment: for each config a fresh target, warmup, C closed-loop client threads
// sending R requests of B pairs, and a sampler recording the time series.
#pragma once

#include "dataset.h"
#include "experiment.h"
#include "progress.h"
#include "results.h"

namespace crossenc::bench {

// Every run of the experiment, one after the other. A run that cannot be made (a backend not
// built, no server listening) is recorded with its error and the rest go on.
ExperimentResult run_experiment(const Experiment& experiment, const Dataset& data,
                                ProgressBar& progress);

// One run; pairs_before: pairs done by earlier runs (for the progress bar).
RunResult run_config(const RunConfig& config, int index, int run_count, const Dataset& data,
                     int sample_ms, double experiment_t0_offset_s, size_t pairs_before,
                     ProgressBar& progress);

// Planned pairs of the whole experiment (the progress bar's total).
size_t planned_pairs(const Experiment& experiment);

}  // namespace crossenc::bench
