/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import io.tern.loadgen.report.CompareCommand;
import io.tern.loadgen.report.PlotCommand;
import io.tern.transport.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * Command line of the executable jar: {@code java -jar tern-loadgen.jar [options]} runs a load,
 * {@code java -jar tern-loadgen.jar plot ...} draws {@code .hgrm} files on one chart,
 * {@code java -jar tern-loadgen.jar compare ...} tabulates and charts repeated runs against several targets.
 * <p>
 * Exit codes: 0 ok, 1 message errors, 2 bad options, 3 cannot connect or register, 4 loadgen failure.
 */
@Command(
    name = "tern-loadgen",
    mixinStandardHelpOptions = true,
    versionProvider = LoadGenMain.Version.class,
    showDefaultValues = true,
    sortOptions = false,
    subcommands = {PlotCommand.class, CompareCommand.class, FloodCommand.class},
    description = {
        "Drives a tern broker (or nats-server, or redis-server: --target) with many peers and reports latency with " +
            "HdrHistogram: corrected (from each message's due time) and uncorrected (from its send time), in us.",
        "Exit codes: 0 ok; 1 lost, duplicated, out-of-order or corrupt messages, broker errors or disconnects " +
            "(unless --allow-errors); 2 bad options; 3 cannot connect or register; 4 loadgen failure."
    })
public final class LoadGenMain implements Callable<Integer>
{
    /** {@code --version}: the build's version and git commit, as the broker prints them. */
    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            return new String[]{BuildInfo.versionLine("tern-loadgen")};
        }
    }

    @Mixin
    private LoadGenOptions options;

    @Spec
    private CommandSpec spec;

    private PrintStream out = System.out;

    @Override
    public Integer call()
    {
        try
        {
            final CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
            options.hostOrPortTyped(parsed.hasMatchedOption("--host") || parsed.hasMatchedOption("--port"));
            options.conclude();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), ex.getMessage(), ex);
        }
        return LoadGen.run(options, out).exitCode();
    }

    /**
     * Runs the command line without exiting.
     *
     * @param out  standard output (progress, summary, help).
     * @param err  standard error (usage errors).
     * @param args as typed.
     * @return the exit code.
     */
    public static int execute(final PrintStream out, final PrintStream err, final String... args)
    {
        final LoadGenMain main = new LoadGenMain();
        main.out = out;
        final CommandLine commandLine = new CommandLine(main).setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setParameterExceptionHandler((ex, arguments) ->
        {
            final PrintWriter writer = ex.getCommandLine().getErr();
            writer.println(LoadGenOptions.usageMessage(ex));
            writer.println("Run with --help for every option and its default.");
            return LoadGen.EXIT_USAGE;
        });
        return commandLine.execute(args);
    }

    public static void main(final String[] args)
    {
        System.exit(execute(System.out, System.err, args));
    }
}
