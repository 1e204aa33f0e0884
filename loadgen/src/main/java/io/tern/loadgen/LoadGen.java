/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import io.tern.loadgen.client.ClientTls;
import io.tern.loadgen.client.IdlePeers;
import io.tern.loadgen.client.LatencyRecording;
import io.tern.loadgen.client.LoadCounters;
import io.tern.loadgen.client.Connections;
import io.tern.loadgen.client.PeerNodes;
import io.tern.loadgen.client.PollingThread;
import io.tern.loadgen.client.ReceiverAgent;
import io.tern.loadgen.client.RegistrationException;
import io.tern.loadgen.client.SenderAgent;
import io.tern.loadgen.client.SocketConnections;
import io.tern.loadgen.client.Target;
import io.tern.loadgen.client.TernConnections;
import io.tern.loadgen.client.WireProtocol;
import io.tern.loadgen.report.HgrmFile;
import io.tern.loadgen.report.IdlePeersReport;
import io.tern.loadgen.report.IdleRunSummary;
import io.tern.loadgen.report.IntervalReporter;
import io.tern.loadgen.report.LatencyChart;
import io.tern.loadgen.report.RunSummary;
import io.tern.loadgen.workload.LoadModel;
import io.tern.loadgen.workload.Schedule;
import io.tern.loadgen.workload.Workload;
import org.HdrHistogram.HistogramLogWriter;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One load run, start to finish, on the calling thread:
 * <pre>
 *  calling thread      connect + register ----&gt; start agents ---&gt; report each second ---&gt; drain ---&gt; summary, files
 *  loadgen-sender                                  |--- send on schedule / window ---|
 *  loadgen-receiver                                |--- read, check, record --------------------------|
 *  loadgen-idle     |--- holds the idle peers (--idle-peers), registered before the workload's, to the end ------|
 * </pre>
 * With {@code --workload none} only the idle peers are connected, registered and held for {@code --duration}.
 * The programmatic entry point: tests call {@link #run(LoadGenOptions, PrintStream)} and look at the result instead
 * of an exit status.
 */
public final class LoadGen
{
    /** Clean run, or errors allowed by {@code --allow-errors}. */
    public static final int EXIT_OK = 0;
    /** Messages were lost, duplicated, out of order or corrupt, or the broker sent errors or disconnected a peer. */
    public static final int EXIT_MESSAGE_ERRORS = 1;
    /** Bad options. */
    public static final int EXIT_USAGE = 2;
    /** Could not connect to the broker or register every peer. */
    public static final int EXIT_CONNECT = 3;
    /** The loadgen itself failed (an agent died, or files could not be written). */
    public static final int EXIT_INTERNAL = 4;

    /** Time between starting the agents and the first due message, so both threads are running by then. */
    private static final long START_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long DRAIN_POLL_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long JOIN_TIMEOUT_MS = 10_000;
    /** Files kept free beyond the run's connections: the JVM's own (jars, pipes), selectors, output files. */
    private static final int FILES_TO_SPARE = 64;
    private static final String TERN_DESCRIPTION =
        "tern line protocol through the Java client (one TernClient per peer, its garbage-free path)";

    private LoadGen()
    {
    }

    /**
     * Runs the load described by the options.
     *
     * @param options concluded or not; concluded here.
     * @param out     where the settings, progress lines and summary are printed.
     * @return the result; never throws for broker or network trouble, which shows in the exit code.
     * @throws IllegalArgumentException for bad options.
     */
    public static LoadGenResult run(final LoadGenOptions options, final PrintStream out)
    {
        options.conclude();
        final Workload workload = options.workloadTopology();
        out.print(options.describe());
        out.flush();

        final List<InetSocketAddress> addresses = new ArrayList<>();
        for (int node = 0; node < options.nodeCount(); node++)
        {
            final InetSocketAddress address = new InetSocketAddress(options.nodeHost(node), options.nodePort(node));
            if (address.isUnresolved())
            {
                final String failure = "cannot resolve " + (options.nodeCount() == 1 ? "--host=" : "--nodes host ") +
                    options.nodeHost(node);
                out.println("FAILED: " + failure);
                return LoadGenResult.failedBeforeMeasuring(EXIT_CONNECT, failure);
            }
            addresses.add(address);
        }
        final String tooManyFiles = checkFileLimit(options, workload);
        if (null != tooManyFiles)
        {
            out.println("FAILED: " + tooManyFiles);
            return LoadGenResult.failedBeforeMeasuring(EXIT_USAGE, tooManyFiles);
        }

        IdlePeers idle = null;
        try
        {
            long heldSinceNs = 0;
            if (options.idlePeers() > 0)
            {
                try
                {
                    idle = IdlePeers.connect(options.target(), addresses, options.idleNamePrefix(), options.idlePeers(),
                        options.connectTimeoutNs());
                }
                catch (final RegistrationException ex)
                {
                    out.println("FAILED: " + ex.getMessage());
                    return LoadGenResult.failedBeforeMeasuring(EXIT_CONNECT, ex.getMessage());
                }
                heldSinceNs = System.nanoTime();
                idle.startHolding();
                // A script waits for this line to know that every idle peer is registered (see memory.sh).
                out.println(IdlePeersReport.registeredLine(idle.count(), idle.registerNs(), sourceNames(idle)));
                out.flush();
            }
            if (null == workload)
            {
                return holdOnly(options, idle, heldSinceNs, out);
            }
            return connectAndMeasure(options, workload, PeerNodes.of(addresses, workload), idle, heldSinceNs, out);
        }
        finally
        {
            if (null != idle)
            {
                idle.close();
            }
        }
    }

    private static LoadGenResult connectAndMeasure(
        final LoadGenOptions options,
        final Workload workload,
        final PeerNodes nodes,
        final IdlePeers idle,
        final long idleHeldSinceNs,
        final PrintStream out)
    {
        ClientTls tls = null;
        if (options.tls())
        {
            try
            {
                // Every node has the same host under TLS (LoadGenOptions checks): one context verifies them all.
                tls = ClientTls.of(options.nodeHost(0), options.tlsCa(), options.tlsCert(), options.tlsKey());
            }
            catch (final IllegalArgumentException ex)
            {
                final String failure = "TLS: " + ex.getMessage();
                out.println("FAILED: " + failure);
                return LoadGenResult.failedBeforeMeasuring(EXIT_USAGE, failure);
            }
        }
        final WireProtocol protocol = options.target() == Target.TERN ? null : WireProtocol.of(
            options.target(), workload, options.messageBytes(), options.fanoutPublish(), tls, nodes.count());
        out.println("protocol    " + (null == protocol ? TERN_DESCRIPTION : protocol.describe()) +
            (null == tls ? "" : "; over TLS"));
        out.flush();
        final LoadCounters counters = new LoadCounters(workload.senderCount());
        // The receiving thread registers the peers: a tern client loop is polled by one thread only, ever.
        final PollingThread receiving = new PollingThread(options.oneClientThread() ? "loadgen-client" :
            "loadgen-receiver");
        final long registerStartNs = System.nanoTime();
        final ClientTls clientTls = tls;
        final Connections connections;
        try
        {
            connections = receiving.call(() -> null == protocol ?
                TernConnections.register(workload, nodes, clientTls, options.connectTimeoutNs(), options.messageBytes()) :
                SocketConnections.register(protocol, nodes, options.connectTimeoutNs(), options.messageBytes(), counters));
        }
        catch (final RegistrationException ex)
        {
            receiving.end();
            out.println("FAILED: " + ex.getMessage());
            return LoadGenResult.failedBeforeMeasuring(EXIT_CONNECT, ex.getMessage());
        }
        catch (final Exception ex)
        {
            receiving.end();
            final String failure = "registration failed: " + ex;
            out.println("FAILED: " + failure);
            return LoadGenResult.failedBeforeMeasuring(EXIT_INTERNAL, failure);
        }
        finally
        {
            if (null != tls)
            {
                tls.close(); // its selector; every handshake is done
            }
        }
        out.printf("registered  %d peers%s, every probe answered, in %d ms%s%n", connections.peerCount(),
            nodes.several() ? " on " + nodes.count() + " nodes" : "",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - registerStartNs),
            null == tls ? "" : "; TLS session " + connections.tlsSession());

        try
        {
            return measure(options, workload, nodes, connections, receiving, counters, idle, idleHeldSinceNs, out);
        }
        finally
        {
            connections.close();
        }
    }

    /**
     * @return null when this process may open every connection the run needs (idle peers, the workload's, and some
     * to spare for the JVM, selectors and files), else why not.
     */
    private static String checkFileLimit(final LoadGenOptions options, final Workload workload)
    {
        final long connections = options.idlePeers() +
            (null == workload ? 0L : (long)workload.peerCount() * (options.target() == Target.REDIS ? 2 : 1));
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof
            com.sun.management.UnixOperatingSystemMXBean unix)
        {
            final long max = unix.getMaxFileDescriptorCount();
            final long open = unix.getOpenFileDescriptorCount();
            if (open + connections + FILES_TO_SPARE > max)
            {
                return "--idle-peers=" + options.idlePeers() + ": the run needs " + connections + " connections, " +
                    open + " files are open and " + FILES_TO_SPARE + " are kept spare, but this process may open " +
                    max + " (ulimit -n); use fewer idle peers or raise the limit";
            }
        }
        return null;
    }

    private static List<String> sourceNames(final IdlePeers idle)
    {
        return idle.sourceAddresses().stream().map(java.net.InetAddress::getHostAddress).toList();
    }

    private static IdlePeersReport idleReport(final IdlePeers idle, final long heldSinceNs)
    {
        return null == idle ? null : new IdlePeersReport(idle.count(), sourceNames(idle), idle.registerNs(),
            (System.nanoTime() - heldSinceNs) / 1e9, idle.disconnects(), idle.unexpectedLines());
    }

    /** {@code --workload none}: holds the idle peers for the measured time, then reports them. */
    private static LoadGenResult holdOnly(
        final LoadGenOptions options, final IdlePeers idle, final long heldSinceNs, final PrintStream out)
    {
        final String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        final long endNs = heldSinceNs + options.durationNs();
        long tickNs = heldSinceNs;
        while (System.nanoTime() - endNs < 0)
        {
            tickNs = Math.min(tickNs + TimeUnit.SECONDS.toNanos(1), endNs);
            parkUntil(tickNs);
            if (!options.quiet())
            {
                out.printf("%6.1f s of %s  hold   %d idle peers, disconnects %d, unexpected lines %d%n",
                    (System.nanoTime() - heldSinceNs) / 1e9,
                    LoadGenOptions.formatDuration(options.durationNs()), idle.count(), idle.disconnects(),
                    idle.unexpectedLines());
                out.flush();
            }
        }
        final IdlePeersReport report = idleReport(idle, heldSinceNs);
        final int exitCode = report.clean() || options.allowErrors() ? EXIT_OK : EXIT_MESSAGE_ERRORS;
        final IdleRunSummary summary = new IdleRunSummary(options.label(), date, options.target().optionValue(),
            options.nodesText(), report, idle.problems(), exitCode == EXIT_OK, exitCode);
        out.print(summary.toText());

        final Map<String, Path> files = new LinkedHashMap<>();
        int finalExitCode = exitCode;
        if (null != options.outDir())
        {
            try
            {
                Files.createDirectories(options.outDir());
                final Path json = options.outDir().resolve(options.label() + ".json");
                Files.writeString(json, summary.toJson());
                files.put("json", json);
                out.println("files       " + json);
            }
            catch (final IOException | RuntimeException ex)
            {
                out.println("FAILED to write files in " + options.outDir() + ": " + ex);
                finalExitCode = EXIT_INTERNAL;
            }
        }
        out.flush();
        return new LoadGenResult(finalExitCode, null, null, Map.copyOf(files), report);
    }

    private static LoadGenResult measure(
        final LoadGenOptions options,
        final Workload workload,
        final PeerNodes nodes,
        final Connections connections,
        final PollingThread receivingThread,
        final LoadCounters counters,
        final IdlePeers idle,
        final long idleHeldSinceNs,
        final PrintStream out)
    {
        final String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        final LoadModel model = options.loadModel();
        final LatencyRecording recording = new LatencyRecording();
        final Map<String, Path> files = new LinkedHashMap<>();
        final List<String> problems = new ArrayList<>();

        HistogramLogWriter logWriter = null;
        final Path outDir = options.outDir();
        if (null != outDir)
        {
            try
            {
                Files.createDirectories(outDir);
                final Path hlog = outDir.resolve(options.label() + ".hlog");
                logWriter = new HistogramLogWriter(hlog.toFile());
                files.put("hlog", hlog);
            }
            catch (final IOException ex)
            {
                final String failure = "cannot write to --out=" + outDir + ": " + ex;
                receivingThread.end();
                out.println("FAILED: " + failure);
                return LoadGenResult.failedBeforeMeasuring(EXIT_INTERNAL, failure);
            }
        }

        final long startNs = System.nanoTime() + START_DELAY_NS;
        final long startEpochMs = System.currentTimeMillis() + TimeUnit.NANOSECONDS.toMillis(START_DELAY_NS);
        final Schedule schedule = new Schedule(startNs, options.warmupNs(), options.durationNs(),
            options.ratePerSecond());
        if (null != logWriter)
        {
            logWriter.outputComment("tern loadgen run " + options.label() + ": values in nanoseconds; untagged = " +
                "corrected (from due time), tag uncorrected = from send time, tag send-lag = sender lateness");
            logWriter.outputLogFormatVersion();
            logWriter.outputStartTime(startEpochMs);
            logWriter.setBaseTime(startEpochMs);
            logWriter.outputBaseTime(startEpochMs);
            logWriter.outputLegend();
        }

        final ReceiverAgent receiver = new ReceiverAgent(
            workload, connections, schedule, model, options.messageBytes(), counters, recording);
        final SenderAgent sender = new SenderAgent(workload, connections, schedule, model,
            options.inFlightPerSender(), options.spinNs(), options.seed(), counters, recording.sendLagByPhase);
        final Thread senderThread;
        final Thread receiverThread = receivingThread.thread();
        final Runnable receiving;
        if (options.oneClientThread())
        {
            // One thread sends and receives: the sender polls the receiver, then the receiver's loop drains.
            sender.receiveInline(receiver);
            senderThread = receiverThread;
            receiving = () ->
            {
                sender.run();
                receiver.run();
            };
        }
        else
        {
            senderThread = new Thread(sender, "loadgen-sender");
            senderThread.setDaemon(true);
            if (model.isClosedLoop())
            {
                receiver.wakeSender(sender, senderThread);
            }
            receiving = receiver;
        }
        final IntervalReporter reporter = new IntervalReporter(recording, counters, schedule, out, options.quiet(),
            logWriter);

        receivingThread.runLast(receiving);
        if (senderThread != receiverThread)
        {
            senderThread.start();
        }

        // Report once a second until the measured period ends. The agents' allocation is read from here when the
        // measured period starts, so that their loops hold no branch that turns at that moment (see
        // Schedule.measuredBit).
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        boolean measureStartMarked = false;
        while (System.nanoTime() - schedule.measureEndNs() < 0)
        {
            final long tickNs = reporter.nextTickNs(System.nanoTime());
            parkUntil(tickNs);
            if (!measureStartMarked && System.nanoTime() - schedule.measureStartNs() >= 0)
            {
                measureStartMarked = true;
                sender.allocation().onMeasureStart(threads.getThreadAllocatedBytes(senderThread.getId()));
                receiver.allocation().onMeasureStart(threads.getThreadAllocatedBytes(receiverThread.getId()));
            }
            reporter.onTick(System.nanoTime(), phase(schedule, tickNs - 1));
        }

        if (senderThread != receiverThread)
        {
            join(senderThread, problems, "sender");
        }
        else
        {
            awaitSender(sender, senderThread, problems);
        }
        final long expectedDeliveries = sender.sentDeliveries();

        // Drain: wait for what is still in flight, up to the timeout.
        final long drainDeadlineNs = System.nanoTime() + options.drainTimeoutNs();
        long nextTickNs = reporter.nextTickNs(System.nanoTime());
        while (counters.accountedDeliveries.getAcquire() < expectedDeliveries &&
            System.nanoTime() - drainDeadlineNs < 0 && receiverThread.isAlive())
        {
            LockSupport.parkNanos(DRAIN_POLL_NS);
            if (System.nanoTime() - nextTickNs >= 0)
            {
                reporter.onTick(System.nanoTime(), "drain");
                nextTickNs = reporter.nextTickNs(System.nanoTime());
            }
        }
        receiver.stop();
        join(receiverThread, problems, "receiver");
        reporter.onTick(System.nanoTime(), "drain");
        if (null != logWriter)
        {
            logWriter.close();
        }

        // Both agents have been joined: their plain fields are safe to read.
        final RunSummary summary = summarise(options, workload, nodes, schedule, date, sender, receiver, reporter, problems,
            idleReport(idle, idleHeldSinceNs), null == idle ? List.of() : idle.problems());
        out.print(summary.toText());

        int exitCode = summary.exitCode();
        if (null != outDir)
        {
            try
            {
                writeFiles(options, summary, files);
                out.println("files       " + String.join(", ", files.values().stream().map(Path::toString).toList()));
            }
            catch (final IOException | RuntimeException ex)
            {
                out.println("FAILED to write files in " + outDir + ": " + ex);
                exitCode = EXIT_INTERNAL;
            }
        }
        out.flush();
        return new LoadGenResult(exitCode, summary, null, Map.copyOf(files), summary.idlePeers());
    }

    private static RunSummary summarise(
        final LoadGenOptions options,
        final Workload workload,
        final PeerNodes nodes,
        final Schedule schedule,
        final String date,
        final SenderAgent sender,
        final ReceiverAgent receiver,
        final IntervalReporter reporter,
        final List<String> problems,
        final IdlePeersReport idlePeers,
        final List<String> idleProblems)
    {
        final LoadModel model = options.loadModel();
        final RunSummary.Counts counts = new RunSummary.Counts(
            sender.sentMessages(),
            sender.sentDeliveries(),
            receiver.received(),
            receiver.checker().lost(sender.streamSent()),
            receiver.checker().duplicated(),
            receiver.checker().outOfOrder(),
            receiver.corrupt(),
            receiver.errorLines(),
            receiver.disconnects());

        final double durationSeconds = schedule.durationNs() / 1e9;
        final double achievedSendRate = sender.measuredSentMessages() / durationSeconds;
        final double achievedDeliveryRate = receiver.measuredDeliveries() / durationSeconds;
        final long offeredRate = model.isClosedLoop() ? 0 : options.ratePerSecond();

        final List<String> warnings = new ArrayList<>(RunSummary.selfCheck(model.isClosedLoop(), offeredRate,
            achievedSendRate, reporter.totalSendLag(), reporter.totalUncorrected()));
        if (receiver.slowConsumerErrors() > 0)
        {
            warnings.add("the broker disconnected " + receiver.slowConsumerErrors() + " peer(s) as slow consumers: " +
                "this loadgen's receiver did not read fast enough; lower --rate, use fewer peers, or give the " +
                "loadgen its own cores");
        }
        if (sender.unwrittenBytes() > 0)
        {
            warnings.add(sender.unwrittenBytes() + " bytes of messages were never written: the broker stopped " +
                "reading; they count as lost");
        }
        final List<String> allProblems = new ArrayList<>(problems);
        allProblems.addAll(receiver.errorSamples());
        allProblems.addAll(idleProblems);
        if (null != sender.failure())
        {
            allProblems.add("sender agent failed: " + sender.failure());
        }
        if (null != receiver.failure())
        {
            allProblems.add("receiver agent failed: " + receiver.failure());
        }
        if (sender.writeFailures() > 0)
        {
            allProblems.add(sender.writeFailures() + " connection(s) failed while writing");
        }

        final boolean agentsFailed = null != sender.failure() || null != receiver.failure() || !problems.isEmpty();
        final int exitCode;
        if (agentsFailed)
        {
            exitCode = EXIT_INTERNAL;
        }
        else if ((!counts.clean() || (null != idlePeers && !idlePeers.clean())) && !options.allowErrors())
        {
            exitCode = EXIT_MESSAGE_ERRORS;
        }
        else
        {
            exitCode = EXIT_OK;
        }

        return new RunSummary(
            options.label(),
            date,
            options.target().optionValue(),
            options.nodesText(),
            nodes.several() ? nodes.spread().describe() : null,
            workload.describe(),
            workload.kind().optionValue(),
            model.optionValue(),
            workload.peerCount(),
            workload.senderCount(),
            workload.receiverCount(),
            workload.deliveriesPerMessage(),
            options.messageBytes(),
            model.isClosedLoop() ? options.inFlightPerSender() : 0,
            offeredRate,
            options.warmupNs() / 1e9,
            durationSeconds,
            achievedSendRate,
            achievedDeliveryRate,
            model.isClosedLoop() ? 0 : schedule.scheduledInMeasuredPeriod(),
            counts,
            reporter.totalCorrected(),
            reporter.totalUncorrected(),
            reporter.totalSendLag(),
            sender.allocation().whileMeasuring(),
            receiver.allocation().whileMeasuring(),
            options.oneClientThread(),
            idlePeers,
            List.copyOf(warnings),
            List.copyOf(allProblems),
            exitCode == EXIT_OK,
            exitCode);
    }

    private static void writeFiles(final LoadGenOptions options, final RunSummary summary, final Map<String, Path> files)
        throws IOException
    {
        final Path dir = options.outDir();
        final String label = options.label();
        final Path corrected = dir.resolve(label + ".corrected.hgrm");
        final Path uncorrected = dir.resolve(label + ".uncorrected.hgrm");
        final Path sendLag = dir.resolve(label + ".send-lag.hgrm");
        HgrmFile.write(summary.corrected(), corrected);
        HgrmFile.write(summary.uncorrected(), uncorrected);
        HgrmFile.write(summary.sendLag(), sendLag);
        files.put("corrected.hgrm", corrected);
        files.put("uncorrected.hgrm", uncorrected);
        files.put("send-lag.hgrm", sendLag);

        final Path json = dir.resolve(label + ".json");
        Files.writeString(json, summary.toJson());
        files.put("json", json);

        final boolean closedLoop = summary.offeredRatePerSecond() == 0;
        final List<LatencyChart.Series> series = new ArrayList<>();
        if (!closedLoop)
        {
            series.add(LatencyChart.Series.of(label + " corrected (from due time)", summary.corrected()));
        }
        series.add(LatencyChart.Series.of(label + " uncorrected (from send time)", summary.uncorrected()));
        series.add(LatencyChart.Series.of(label + (closedLoop ? " loadgen turnaround" : " send lag"),
            summary.sendLag()));
        final Path png = dir.resolve(label + ".png");
        LatencyChart.write(png, "latency by percentile: " + label + " (" + summary.target() + ")",
            summary.workload() + ", " + summary.messageBytes() + "-byte messages, " + (closedLoop ?
                summary.loadModel() + " " + summary.inFlightPerSender() + " in flight per sender" :
                "open loop " + summary.offeredRatePerSecond() + " msg/s") + ", " + summary.date(), series);
        files.put("png", png);
    }

    private static String phase(final Schedule schedule, final long timeNs)
    {
        if (timeNs - schedule.measureStartNs() < 0)
        {
            return "warm-up";
        }
        return timeNs - schedule.measureEndNs() < 0 ? "measure" : "drain";
    }

    private static void parkUntil(final long deadlineNs)
    {
        long remainingNs;
        while ((remainingNs = deadlineNs - System.nanoTime()) > 0)
        {
            LockSupport.parkNanos(remainingNs);
        }
    }

    /** One client thread: waits for the sender's part of it to end (the thread goes on receiving for the drain). */
    private static void awaitSender(final SenderAgent sender, final Thread thread, final List<String> problems)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_TIMEOUT_MS);
        while (!sender.isDone() && thread.isAlive() && System.nanoTime() - deadlineNs < 0)
        {
            LockSupport.parkNanos(DRAIN_POLL_NS);
        }
        if (!sender.isDone())
        {
            problems.add("sender agent did not stop within " + JOIN_TIMEOUT_MS + " ms");
        }
    }

    private static void join(final Thread thread, final List<String> problems, final String role)
    {
        try
        {
            thread.join(JOIN_TIMEOUT_MS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive())
        {
            problems.add(role + " agent did not stop within " + JOIN_TIMEOUT_MS + " ms");
        }
    }
}
