/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

/**
 * The findings of a run of {@code --workload none}: only idle peers, connected, registered and held. Built once by
 * the run's thread at the end; immutable after.
 *
 * @param label    name of the run.
 * @param date     when it ran, ISO-8601.
 * @param target   the kind of server: tern, nats or redis.
 * @param broker   host:port.
 * @param idle     the idle peers.
 * @param problems first few disconnects and unexpected lines.
 * @param ok       true when every idle peer stayed connected and silent (or errors are allowed).
 * @param exitCode what the process exits with.
 */
public record IdleRunSummary(
    String label,
    String date,
    String target,
    String broker,
    IdlePeersReport idle,
    List<String> problems,
    boolean ok,
    int exitCode)
{
    /** @return the human-readable summary printed at the end of the run. */
    public String toText()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%n== tern loadgen summary: %s (%s) ==%n", label, date));
        sb.append(String.format(Locale.ROOT, "broker      %s (%s)%n", broker, target));
        sb.append("workload    none: idle peers only\n");
        sb.append(idle.toText());
        RunSummary.appendOutcome(sb, problems, idle.clean(), exitCode);
        return sb.toString();
    }

    /** @return one JSON object: label, date, target, broker, {@code workload: "none"}, idlePeers, problems, ok. */
    public String toJson()
    {
        final ObjectNode json = JsonNodeFactory.instance.objectNode()
            .put("label", label)
            .put("date", date)
            .put("target", target)
            .put("broker", broker)
            .put("workload", "none");
        idle.toJson(json.putObject("idlePeers"));
        problems.forEach(json.putArray("problems")::add);
        json.put("ok", ok).put("exitCode", exitCode);
        try
        {
            return RunSummary.JSON_WRITER.writeValueAsString(json) + "\n";
        }
        catch (final JsonProcessingException ex)
        {
            throw new UncheckedIOException(ex); // a tree of strings and numbers always serialises
        }
    }
}
