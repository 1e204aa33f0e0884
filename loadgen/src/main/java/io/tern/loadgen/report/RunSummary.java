/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything a run found, and its text and JSON forms. Built once by the run's thread after the agents stopped;
 * immutable after. Latency values are recorded in nanoseconds and shown in microseconds.
 *
 * @param label                  name of the run.
 * @param date                   when it ran, ISO-8601.
 * @param target                 the kind of server: tern, nats or redis.
 * @param broker                 host:port, or for several nodes {@code host:port, host:port, ...}.
 * @param spread                 several nodes: how the peers were spread over them; null for one server.
 * @param workload               one-line description of the topology.
 * @param workloadKind           pairs, fanout or mesh.
 * @param loadModel              open, ping-pong or max.
 * @param peers                  connections opened.
 * @param senders                sending peers.
 * @param receivers              receiving peers.
 * @param deliveriesPerMessage   K for fanout, else 1.
 * @param messageBytes           text bytes per message.
 * @param inFlightPerSender      closed loop window, or 0 for open loop.
 * @param offeredRatePerSecond   open loop rate, or 0 for closed loops.
 * @param warmupSeconds          unrecorded warm-up.
 * @param durationSeconds        measured period.
 * @param achievedSendRatePerSecond     messages due in the measured period that were sent, per second.
 * @param achievedDeliveryRatePerSecond of those, deliveries that arrived, per second.
 * @param scheduledMessages      open loop: messages due in the measured period; 0 for closed loops.
 * @param counts                 integrity counts over the whole run (warm-up included).
 * @param corrected              arrival minus due time (ns), measured period.
 * @param uncorrected            arrival minus send time (ns), measured period.
 * @param sendLag                send minus due time (open) or turnaround (closed), ns.
 * @param senderAllocatedBytes   allocated by the sender thread while measuring, or -1 if unknown.
 * @param receiverAllocatedBytes allocated by the receiver thread while measuring, or -1 if unknown.
 * @param oneClientThread        true when one thread sends and receives ({@code --client-threads 1}): the two figures
 *                               above are then that one thread's.
 * @param idlePeers              the idle peers held beside the workload ({@code --idle-peers}), or null for none.
 * @param warnings               self-check warnings.
 * @param problems               first few error lines, corrupt lines, disconnects, agent failures.
 * @param ok                     true when the run is clean (or errors are allowed).
 * @param exitCode               what the process exits with.
 */
public record RunSummary(
    String label,
    String date,
    String target,
    String broker,
    String spread,
    String workload,
    String workloadKind,
    String loadModel,
    int peers,
    int senders,
    int receivers,
    int deliveriesPerMessage,
    int messageBytes,
    int inFlightPerSender,
    long offeredRatePerSecond,
    double warmupSeconds,
    double durationSeconds,
    double achievedSendRatePerSecond,
    double achievedDeliveryRatePerSecond,
    long scheduledMessages,
    Counts counts,
    Histogram corrected,
    Histogram uncorrected,
    Histogram sendLag,
    long senderAllocatedBytes,
    long receiverAllocatedBytes,
    boolean oneClientThread,
    IdlePeersReport idlePeers,
    List<String> warnings,
    List<String> problems,
    boolean ok,
    int exitCode)
{
    /** Percentiles reported, in the order shown. */
    public static final double[] PERCENTILES = {50.0, 90.0, 99.0, 99.9, 99.99};
    private static final String[] PERCENTILE_NAMES = {"p50", "p90", "p99", "p99.9", "p99.99"};
    private static final String[] PERCENTILE_KEYS = {"p50", "p90", "p99", "p99_9", "p99_99"};
    /**
     * Two-space indent, {@code "name": value}, one array element per line, decimals in plain notation ({@code 20000},
     * never {@code 2E+4}). Immutable, so shared by every thread.
     */
    static final ObjectWriter JSON_WRITER = new ObjectMapper()
        .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
        .writer(new DefaultPrettyPrinter(Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    /**
     * Integrity counts.
     *
     * @param sentMessages       lines sent.
     * @param expectedDeliveries deliveries those lines ask for.
     * @param received           run messages that arrived, intact or not, duplicates included.
     * @param lost               sent and never arrived intact (a corrupt message counts here too).
     * @param duplicated         arrived more than once.
     * @param outOfOrder         arrived after a later message of the same stream.
     * @param corrupt            failed the payload checks, unparseable, or misrouted.
     * @param errorLines         {@code error: ...} lines from the broker.
     * @param disconnects        connections the broker closed.
     */
    public record Counts(
        long sentMessages,
        long expectedDeliveries,
        long received,
        long lost,
        long duplicated,
        long outOfOrder,
        long corrupt,
        long errorLines,
        long disconnects)
    {
        /** @return true when nothing was lost, duplicated, out of order or corrupt and the broker raised nothing. */
        public boolean clean()
        {
            return lost == 0 && duplicated == 0 && outOfOrder == 0 && corrupt == 0 && errorLines == 0 &&
                disconnects == 0;
        }
    }

    /**
     * Self-checks: is the loadgen itself the bottleneck of what it reports?
     *
     * @param closedLoop                true for ping-pong and max.
     * @param offeredRatePerSecond      open loop rate.
     * @param achievedSendRatePerSecond measured send rate.
     * @param sendLag                   send lag (open) or turnaround (closed), ns.
     * @param uncorrected               latency from the send time, ns.
     * @return warnings, empty when none.
     */
    public static List<String> selfCheck(
        final boolean closedLoop,
        final long offeredRatePerSecond,
        final double achievedSendRatePerSecond,
        final Histogram sendLag,
        final Histogram uncorrected)
    {
        final List<String> warnings = new ArrayList<>();
        if (!closedLoop && achievedSendRatePerSecond < 0.99 * offeredRatePerSecond)
        {
            warnings.add(String.format(Locale.ROOT,
                "the senders fell behind their schedule: %.1f msg/s sent of %d offered; messages that were due but " +
                "never sent are not in the latency histograms", achievedSendRatePerSecond, offeredRatePerSecond));
        }
        if (sendLag.getTotalCount() > 0 && uncorrected.getTotalCount() > 0)
        {
            final String what = closedLoop ?
                "the loadgen's own turnaround (arrival to next send)" : "how late the senders sent (send lag)";
            final double[] qs = {99.0, 100.0};
            final String[] names = {"p99", "max"};
            for (int i = 0; i < qs.length; i++)
            {
                final long lag = sendLag.getValueAtPercentile(qs[i]);
                final long latency = uncorrected.getValueAtPercentile(qs[i]);
                if (lag > latency)
                {
                    warnings.add(String.format(Locale.ROOT,
                        "%s at %s, %.1f us, exceeds the latency it measured there, %.1f us: the loadgen, not the " +
                        "broker, dominates these numbers (%s)", what, names[i], lag / 1000.0, latency / 1000.0,
                        closedLoop ? "fewer peers, or another machine for the loadgen" :
                            "try --spin 100us, a lower --rate, fewer peers, or another machine for the loadgen"));
                }
            }
        }
        return warnings;
    }

    /**
     * @return megabytes (10^6 bytes) of message text delivered per second in the measured period: the delivery rate
     * times {@code messageBytes}; what arrives on the wire beyond the text (destination, framing) is not counted.
     */
    public double payloadMegabytesPerSecond()
    {
        return achievedDeliveryRatePerSecond * messageBytes / 1e6;
    }

    /** @return true when the messages are clean and every idle peer, if any, stayed connected and silent. */
    public boolean clean()
    {
        return counts.clean() && (null == idlePeers || idlePeers.clean());
    }

    /** @return the human-readable summary printed at the end of a run. */
    public String toText()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n== tern loadgen summary: %s (%s) ==%n", label, date));
        if (null == spread)
        {
            sb.append(String.format(Locale.ROOT, "broker      %s (%s)%n", broker, target));
        }
        else
        {
            sb.append(String.format(Locale.ROOT, "nodes       %s (%s)%n", broker, target));
            sb.append(String.format(Locale.ROOT, "spread      %s%n", spread));
        }
        sb.append(String.format(Locale.ROOT, "workload    %s, %d-byte messages%n", workload, messageBytes));
        if (offeredRatePerSecond > 0)
        {
            sb.append(String.format(Locale.ROOT, "load        open loop, offered %d msg/s; warm-up %s s, measured %s s%n",
                offeredRatePerSecond, number(warmupSeconds), number(durationSeconds)));
        }
        else
        {
            sb.append(String.format(Locale.ROOT, "load        %s, %d in flight per sender; warm-up %s s, measured %s s%n",
                loadModel, inFlightPerSender, number(warmupSeconds), number(durationSeconds)));
        }
        sb.append(String.format(Locale.ROOT,
            "achieved    %.1f msg/s sent, %.1f deliveries/s received (messages due in the measured period), " +
                "%.3f MB/s of message text delivered%n",
            achievedSendRatePerSecond, achievedDeliveryRatePerSecond, payloadMegabytesPerSecond()));
        sb.append(String.format(Locale.ROOT,
            "counts      sent %d msgs = %d deliveries; received %d; lost %d; duplicated %d; out of order %d; " +
            "corrupt %d; error lines %d; disconnects %d%n",
            counts.sentMessages, counts.expectedDeliveries, counts.received, counts.lost, counts.duplicated,
            counts.outOfOrder, counts.corrupt, counts.errorLines, counts.disconnects));
        sb.append(String.format(Locale.ROOT, "latency us  %10s %10s %10s %10s %10s %10s %10s%n",
            "p50", "p90", "p99", "p99.9", "p99.99", "max", "count"));
        row(sb, offeredRatePerSecond > 0 ? "corrected" : "corrected*", corrected);
        row(sb, "uncorrected", uncorrected);
        row(sb, offeredRatePerSecond > 0 ? "send lag" : "turnaround", sendLag);
        if (offeredRatePerSecond == 0)
        {
            sb.append("            * closed loop: no schedule, so corrected = uncorrected (from the send time)\n");
        }
        if (oneClientThread)
        {
            sb.append(String.format(Locale.ROOT, "allocation  client thread (sends and receives) %s while measuring%n",
                bytes(senderAllocatedBytes)));
        }
        else
        {
            sb.append(String.format(Locale.ROOT, "allocation  sender %s, receiver %s while measuring%n",
                bytes(senderAllocatedBytes), bytes(receiverAllocatedBytes)));
        }
        if (null != idlePeers)
        {
            sb.append(idlePeers.toText());
        }
        for (final String warning : warnings)
        {
            sb.append("WARNING     ").append(warning).append('\n');
        }
        appendOutcome(sb, problems, clean(), exitCode);
        return sb.toString();
    }

    /**
     * The last lines of every summary: each problem, then the result.
     *
     * @param sb       the summary so far.
     * @param problems what went wrong, one line each.
     * @param clean    whether the run saw nothing wrong on the wire.
     * @param exitCode the loadgen's exit status.
     */
    static void appendOutcome(
        final StringBuilder sb, final List<String> problems, final boolean clean, final int exitCode)
    {
        for (final String problem : problems)
        {
            sb.append("problem     ").append(problem).append('\n');
        }
        sb.append(String.format(Locale.ROOT, "result      %s (exit %d)%n",
            clean && exitCode == 0 ? "OK" : exitCode == 0 ? "ERRORS ALLOWED" : "FAILED", exitCode));
    }

    /**
     * @return the machine-readable summary: one JSON object, two-space indented, latencies in microseconds with at
     * most 3 decimals, null for the percentiles of an empty histogram.
     */
    public String toJson()
    {
        final ObjectNode json = JsonNodeFactory.instance.objectNode()
            .put("label", label)
            .put("date", date)
            .put("target", target)
            .put("broker", broker)
            .put("workload", workloadKind)
            .put("workloadDescription", workload)
            .put("load", loadModel)
            .put("peers", peers)
            .put("senders", senders)
            .put("receivers", receivers)
            .put("deliveriesPerMessage", deliveriesPerMessage)
            .put("messageBytes", messageBytes)
            .put("inFlightPerSender", inFlightPerSender)
            .put("offeredRatePerSecond", offeredRatePerSecond)
            .put("warmupSeconds", decimal(warmupSeconds))
            .put("durationSeconds", decimal(durationSeconds))
            .put("achievedSendRatePerSecond", decimal(achievedSendRatePerSecond))
            .put("achievedDeliveryRatePerSecond", decimal(achievedDeliveryRatePerSecond))
            .put("payloadMegabytesPerSecond", decimal(payloadMegabytesPerSecond()))
            .put("scheduledMessages", scheduledMessages);
        if (null != spread)
        {
            final com.fasterxml.jackson.databind.node.ArrayNode nodes = json.putArray("nodes");
            for (final String node : broker.split(", "))
            {
                nodes.add(node);
            }
            json.put("spread", spread);
        }
        json.putObject("counts")
            .put("sent", counts.sentMessages)
            .put("expectedDeliveries", counts.expectedDeliveries)
            .put("received", counts.received)
            .put("lost", counts.lost)
            .put("duplicated", counts.duplicated)
            .put("outOfOrder", counts.outOfOrder)
            .put("corrupt", counts.corrupt)
            .put("errorLines", counts.errorLines)
            .put("disconnects", counts.disconnects);
        final ObjectNode latency = json.putObject("latencyMicros");
        histogram(latency.putObject("corrected"), corrected);
        histogram(latency.putObject("uncorrected"), uncorrected);
        histogram(latency.putObject("sendLag"), sendLag);
        json.putObject("allocatedBytesWhileMeasuring")
            .put("sender", senderAllocatedBytes)
            .put("receiver", receiverAllocatedBytes)
            .put("oneClientThread", oneClientThread);
        if (null != idlePeers)
        {
            idlePeers.toJson(json.putObject("idlePeers"));
        }
        warnings.forEach(json.putArray("warnings")::add);
        problems.forEach(json.putArray("problems")::add);
        json.put("ok", ok).put("exitCode", exitCode);
        try
        {
            return JSON_WRITER.writeValueAsString(json) + "\n";
        }
        catch (final JsonProcessingException ex)
        {
            throw new UncheckedIOException(ex); // a tree of strings and numbers always serialises
        }
    }

    private static void histogram(final ObjectNode json, final Histogram histogram)
    {
        json.put("count", histogram.getTotalCount());
        final boolean empty = histogram.getTotalCount() == 0;
        for (int i = 0; i < PERCENTILES.length; i++)
        {
            json.put(PERCENTILE_KEYS[i], empty ? null : decimal(micros(histogram.getValueAtPercentile(PERCENTILES[i]))));
        }
        json.put("max", empty ? null : decimal(micros(histogram.getMaxValue())))
            .put("mean", empty ? null : decimal(histogram.getMean() / 1000.0));
    }

    /** @return the value rounded to 3 decimals without trailing zeros ({@code 2}, {@code 999.5}), or null for NaN. */
    private static BigDecimal decimal(final double value)
    {
        if (Double.isNaN(value) || Double.isInfinite(value))
        {
            return null; // JSON has neither
        }
        return new BigDecimal(String.format(Locale.ROOT, "%.3f", value)).stripTrailingZeros();
    }

    private static void row(final StringBuilder sb, final String name, final Histogram histogram)
    {
        sb.append(String.format(Locale.ROOT, "%-11s", name));
        if (histogram.getTotalCount() == 0)
        {
            for (int i = 0; i <= PERCENTILES.length; i++)
            {
                sb.append(String.format(Locale.ROOT, " %10s", "-"));
            }
        }
        else
        {
            for (final double percentile : PERCENTILES)
            {
                sb.append(String.format(Locale.ROOT, " %10.1f", micros(histogram.getValueAtPercentile(percentile))));
            }
            sb.append(String.format(Locale.ROOT, " %10.1f", micros(histogram.getMaxValue())));
        }
        sb.append(String.format(Locale.ROOT, " %10d%n", histogram.getTotalCount()));
    }

    /** @return the names used in the text summary for {@link #PERCENTILES}. */
    public static String[] percentileNames()
    {
        return PERCENTILE_NAMES.clone();
    }

    static double micros(final long ns)
    {
        return ns / 1000.0;
    }

    private static String number(final double value)
    {
        return decimal(value).toPlainString();
    }

    private static String bytes(final long bytes)
    {
        return bytes < 0 ? "unknown" : bytes + " B";
    }
}
