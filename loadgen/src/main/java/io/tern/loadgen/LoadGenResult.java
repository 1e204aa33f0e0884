/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import io.tern.loadgen.report.IdlePeersReport;
import io.tern.loadgen.report.RunSummary;

import java.nio.file.Path;
import java.util.Map;

/**
 * What {@link LoadGen#run(LoadGenOptions, java.io.PrintStream)} returns.
 *
 * @param exitCode what the command line exits with, see {@link LoadGen}'s {@code EXIT_...} constants.
 * @param summary  the run's findings, or null when it failed before measuring (e.g. could not connect) or had no
 *                 workload ({@code --workload none}).
 * @param failure  why it failed before measuring, or null.
 * @param files    files written, by kind ({@code corrected.hgrm}, {@code uncorrected.hgrm}, {@code send-lag.hgrm},
 *                 {@code hlog}, {@code json}, {@code png}); empty without {@code --out}.
 * @param idlePeers what the idle peers ({@code --idle-peers}) found, or null when there were none or they could not
 *                  all be registered.
 */
public record LoadGenResult(
    int exitCode, RunSummary summary, String failure, Map<String, Path> files, IdlePeersReport idlePeers)
{
    static LoadGenResult failedBeforeMeasuring(final int exitCode, final String failure)
    {
        return new LoadGenResult(exitCode, null, failure, Map.of(), null);
    }
}
