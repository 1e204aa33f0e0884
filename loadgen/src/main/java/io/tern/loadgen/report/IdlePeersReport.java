/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;

/**
 * What {@code --idle-peers N} found: how fast N named peers were connected and registered, and whether all of them
 * stayed connected and silent until the end. Immutable; any thread.
 *
 * @param count           N.
 * @param sourceAddresses the local addresses they were spread over; empty when the kernel chose one.
 * @param registerNs      from the first connect to the last confirmation, nanoseconds.
 * @param heldSeconds     how long they were held after that, to the end of the run.
 * @param disconnects     idle connections lost after registration.
 * @param unexpectedLines lines an idle peer got after registration (messages, errors).
 */
public record IdlePeersReport(
    int count,
    List<String> sourceAddresses,
    long registerNs,
    double heldSeconds,
    long disconnects,
    long unexpectedLines)
{
    /** @return peers connected and registered per second. */
    public double registerPeersPerSecond()
    {
        return registerNs <= 0 ? 0.0 : count * 1e9 / registerNs;
    }

    /** @return true when every idle peer stayed connected and got nothing. */
    public boolean clean()
    {
        return disconnects == 0 && unexpectedLines == 0;
    }

    /** @return the line printed once they are all registered: {@code idle peers  N registered in ...}. */
    public static String registeredLine(final int count, final long registerNs, final List<String> sources)
    {
        return String.format(Locale.ROOT, "idle peers  %d registered in %d ms, %.1f peers/s, from %s; holding them",
            count, registerNs / 1_000_000, registerNs <= 0 ? 0.0 : count * 1e9 / registerNs, from(sources));
    }

    /** @return one line of the text summary. */
    public String toText()
    {
        return String.format(Locale.ROOT,
            "idle peers  %d connected and registered in %d ms (%.1f peers/s) from %s, held silent %s s; " +
                "disconnects %d; unexpected lines %d%n",
            count, registerNs / 1_000_000, registerPeersPerSecond(), from(sourceAddresses),
            new BigDecimal(String.format(Locale.ROOT, "%.1f", heldSeconds)).stripTrailingZeros().toPlainString(),
            disconnects, unexpectedLines);
    }

    /**
     * @param json the object to fill: {@code count}, {@code registerMillis}, {@code registerPeersPerSecond},
     *             {@code sourceAddresses}, {@code heldSeconds}, {@code disconnects}, {@code unexpectedLines}.
     */
    public void toJson(final ObjectNode json)
    {
        json.put("count", count)
            .put("registerMillis", round(registerNs / 1e6))
            .put("registerPeersPerSecond", round(registerPeersPerSecond()))
            .put("heldSeconds", round(heldSeconds))
            .put("disconnects", disconnects)
            .put("unexpectedLines", unexpectedLines);
        sourceAddresses.forEach(json.putArray("sourceAddresses")::add);
    }

    private static String from(final List<String> sources)
    {
        return sources.isEmpty() ? "one source address" : sources.size() + " source addresses " +
            sources.get(0) + (sources.size() > 1 ? ".." + sources.get(sources.size() - 1) : "");
    }

    private static BigDecimal round(final double value)
    {
        return new BigDecimal(String.format(Locale.ROOT, "%.3f", value)).stripTrailingZeros();
    }
}
