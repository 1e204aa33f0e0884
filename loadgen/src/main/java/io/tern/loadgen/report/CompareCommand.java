/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code compare}: turns the JSON summaries of repeated runs against several targets into one markdown table (per
 * workload and target, the median of each number over the runs) and one chart per workload that overlays the
 * targets' latency distributions.
 * <p>
 * Runs are grouped by workload case, the part of their {@code --label} before the first '.', and by their target
 * (from the JSON): the comparison script labels runs {@code <case>.<target>.r<run>}. For each group and each number
 * (p50, p99, p99.9, max of the corrected latency, delivered messages per second) the median over the runs is
 * reported on its own; the chart draws, for each target, the run whose p99 is the median, from its
 * {@code <label>.corrected.hgrm} next to the JSON.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description = "Reads run summaries (<label>.json, or directories of them) labelled <case>.<target>.r<N>, and " +
        "writes OUT/results.md (per case and target: median p50, p99, p99.9, max latency in us and delivered msg/s " +
        "over the runs) and OUT/<case>.png (the targets' latency distributions overlaid).")
public final class CompareCommand implements Callable<Integer>
{
    private static final List<String> TARGET_ORDER = List.of("tern", "nats", "redis");
    /** One JSON document per file, nothing after it. Immutable, so shared. */
    private static final ObjectReader JSON_READER = new ObjectMapper()
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .reader();

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "where results.md and charts go")
    Path outDir;

    @Option(names = "--title", defaultValue = "tern vs nats-server vs redis-server", paramLabel = "TEXT",
        description = "heading of the table (each chart's title names its workload and the targets drawn)")
    String title;

    @Parameters(arity = "1..*", paramLabel = "JSON|DIR", description = "run summaries, or directories holding them")
    List<Path> inputs;

    @Spec
    CommandSpec spec;

    /**
     * One run's numbers.
     *
     * @param label    as given to the run.
     * @param caseName the label before its first '.'.
     * @param target   tern, nats or redis.
     * @param json     the file it came from.
     * @param summary  parsed JSON.
     */
    record Run(String label, String caseName, String target, Path json, JsonNode summary)
    {
        double latency(final String key)
        {
            return number(summary, "/latencyMicros/corrected/" + key);
        }

        double deliveredPerSecond()
        {
            return number(summary, "/achievedDeliveryRatePerSecond");
        }

        boolean clean()
        {
            for (final String count : List.of("lost", "duplicated", "outOfOrder", "corrupt", "errorLines",
                "disconnects"))
            {
                if (number(summary, "/counts/" + count) != 0.0)
                {
                    return false;
                }
            }
            return true;
        }

        String problems()
        {
            final StringBuilder sb = new StringBuilder();
            for (final String count : List.of("lost", "duplicated", "outOfOrder", "corrupt", "errorLines",
                "disconnects"))
            {
                final double value = number(summary, "/counts/" + count);
                if (value != 0.0)
                {
                    sb.append(sb.length() == 0 ? "" : ", ").append(count).append(' ').append((long)value);
                }
            }
            return sb.toString();
        }

        /** @return the run's settings in words, from its summary. */
        String settings()
        {
            final String load = string(summary, "/load");
            final String loadText = "open".equals(load) ?
                String.format(Locale.ROOT, "open loop %,d msg/s", (long)number(summary, "/offeredRatePerSecond")) :
                String.format(Locale.ROOT, "%s, %d in flight per sender", load,
                    (long)number(summary, "/inFlightPerSender"));
            return String.format(Locale.ROOT, "%s, %d-byte messages, %s, warm-up %s s, measured %s s",
                string(summary, "/workloadDescription"), (long)number(summary, "/messageBytes"),
                loadText, trim(number(summary, "/warmupSeconds")), trim(number(summary, "/durationSeconds")));
        }
    }

    @Override
    public Integer call() throws IOException
    {
        final List<Run> runs = new ArrayList<>();
        for (final Path input : inputs)
        {
            final List<Path> files;
            if (Files.isDirectory(input))
            {
                try (Stream<Path> listing = Files.list(input))
                {
                    files = listing.filter(p -> p.getFileName().toString().endsWith(".json")).sorted()
                        .collect(Collectors.toList());
                }
            }
            else
            {
                files = List.of(input);
            }
            for (final Path file : files)
            {
                runs.add(read(file));
            }
        }
        if (runs.isEmpty())
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "no run summaries (*.json) in " + inputs);
        }

        Files.createDirectories(outDir);
        final Map<String, Map<String, List<Run>>> byCase = group(runs);
        final String markdown = markdown(byCase);
        final Path results = outDir.resolve("results.md");
        Files.writeString(results, markdown, StandardCharsets.UTF_8);
        spec.commandLine().getOut().print(markdown);
        spec.commandLine().getOut().println("wrote " + results);

        for (final Map.Entry<String, Map<String, List<Run>>> entry : byCase.entrySet())
        {
            final List<LatencyChart.Series> series = new ArrayList<>();
            final List<String> targets = new ArrayList<>();
            String settings = null;
            for (final Map.Entry<String, List<Run>> target : entry.getValue().entrySet())
            {
                final Run median = medianRunByP99(target.getValue());
                settings = median.settings();
                final Path hgrm = median.json().resolveSibling(median.label() + ".corrected.hgrm");
                if (Files.isReadable(hgrm))
                {
                    final String run = median.label().substring(median.label().lastIndexOf('.') + 1);
                    series.add(LatencyChart.Series.of(target.getKey() + " (" + run + ": the median p99 of " +
                        target.getValue().size() + " runs)", HgrmFile.read(hgrm)));
                    targets.add(target.getKey());
                }
            }
            if (!series.isEmpty())
            {
                final Path png = outDir.resolve(entry.getKey() + ".png");
                // The title says what is drawn: which latency, which workload, which targets.
                LatencyChart.write(png, "corrected latency by percentile, " + entry.getKey() + ": " +
                    String.join(" vs ", targets), settings, series);
                spec.commandLine().getOut().println("wrote " + png);
            }
        }
        return 0;
    }

    private Run read(final Path file) throws IOException
    {
        final JsonNode summary;
        try
        {
            summary = JSON_READER.readTree(Files.readString(file, StandardCharsets.UTF_8));
        }
        catch (final JsonProcessingException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), file + ": JSON: " + ex.getMessage(), ex);
        }
        final String label = string(summary, "/label");
        final JsonNode corrected = summary.at("/latencyMicros/corrected");
        if (null == label || corrected.isMissingNode() || corrected.isNull())
        {
            throw new CommandLine.ParameterException(spec.commandLine(), file + ": not a loadgen run summary");
        }
        final String protocol = null == string(summary, "/target") ? "tern" : string(summary, "/target");
        final int dot = label.indexOf('.');
        return new Run(label, dot < 0 ? label : label.substring(0, dot), targetOf(label, protocol), file, summary);
    }

    /**
     * A label's middle part names a build of the run's target when it starts with the target's name and a dash:
     * {@code 1-ping-pong.tern-baseline.r2} is target {@code tern-baseline}, so two builds of tern compare side by side.
     *
     * @param label    as given to the run.
     * @param protocol the target named in the run's summary: tern, nats or redis.
     * @return the name the run is grouped and charted under.
     */
    static String targetOf(final String label, final String protocol)
    {
        final String[] parts = label.split("\\.");
        return parts.length == 3 && parts[1].startsWith(protocol + "-") ? parts[1] : protocol;
    }

    /** @return case (sorted) to target (tern, nats, redis, then others by name) to its runs. */
    static Map<String, Map<String, List<Run>>> group(final List<Run> runs)
    {
        final Comparator<String> targetOrder = Comparator
            .comparingInt((String t) -> TARGET_ORDER.contains(t) ? TARGET_ORDER.indexOf(t) : TARGET_ORDER.size())
            .thenComparing(Comparator.naturalOrder());
        final Map<String, Map<String, List<Run>>> byCase = new TreeMap<>();
        for (final Run run : runs)
        {
            byCase.computeIfAbsent(run.caseName(), k -> new TreeMap<>(targetOrder))
                .computeIfAbsent(run.target(), k -> new ArrayList<>()).add(run);
        }
        return byCase;
    }

    private String markdown(final Map<String, Map<String, List<Run>>> byCase)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("| workload | target | p50 µs | p99 µs | p99.9 µs | max µs | delivered msg/s | runs |\n");
        sb.append("|---|---|--:|--:|--:|--:|--:|---|\n");
        for (final Map.Entry<String, Map<String, List<Run>>> entry : byCase.entrySet())
        {
            for (final Map.Entry<String, List<Run>> target : entry.getValue().entrySet())
            {
                final List<Run> runs = target.getValue();
                sb.append("| ").append(entry.getKey()).append(" | ").append(target.getKey())
                    .append(" | ").append(micros(median(runs, r -> r.latency("p50"))))
                    .append(" | ").append(micros(median(runs, r -> r.latency("p99"))))
                    .append(" | ").append(micros(median(runs, r -> r.latency("p99_9"))))
                    .append(" | ").append(micros(median(runs, r -> r.latency("max"))))
                    .append(" | ").append(rate(median(runs, Run::deliveredPerSecond)))
                    .append(" | ").append(runsCell(runs)).append(" |\n");
            }
        }
        sb.append('\n').append("Median of each number over the runs, taken on its own. Latency is the corrected ")
            .append("one: from each message's due time for open loops, from its send time for closed loops ")
            .append("(ping-pong, max), in microseconds. Delivered msg/s counts every receiver's copy.\n\n");
        sb.append("Settings:\n\n");
        for (final Map.Entry<String, Map<String, List<Run>>> entry : byCase.entrySet())
        {
            final Run any = entry.getValue().values().iterator().next().get(0);
            sb.append("- `").append(entry.getKey()).append("`: ").append(any.settings()).append('\n');
        }
        return sb.toString();
    }

    private static String runsCell(final List<Run> runs)
    {
        final List<String> bad = new ArrayList<>();
        for (final Run run : runs)
        {
            if (!run.clean())
            {
                bad.add(run.label() + ": " + run.problems());
            }
        }
        return runs.size() + (bad.isEmpty() ? ", all clean" : ", " + String.join("; ", bad));
    }

    /** @return the run whose p99 is the median (the lower middle one for an even count). */
    static Run medianRunByP99(final List<Run> runs)
    {
        final List<Run> sorted = new ArrayList<>(runs);
        sorted.sort(Comparator.comparingDouble(r -> nanToMax(r.latency("p99"))));
        return sorted.get((sorted.size() - 1) / 2);
    }

    /** @return the median of the values that are numbers, NaN when there are none. */
    static double median(final List<Run> runs, final java.util.function.ToDoubleFunction<Run> value)
    {
        final double[] values = runs.stream().mapToDouble(value).filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (values.length == 0)
        {
            return Double.NaN;
        }
        final int middle = values.length / 2;
        return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    /** @return the number at the JSON pointer, or NaN when it is missing, null or not a number. */
    static double number(final JsonNode root, final String pointer)
    {
        final JsonNode node = root.at(pointer);
        return node.isNumber() ? node.asDouble() : Double.NaN;
    }

    /** @return the string at the JSON pointer, or null. */
    private static String string(final JsonNode root, final String pointer)
    {
        final JsonNode node = root.at(pointer);
        return node.isTextual() ? node.asText() : null;
    }

    private static double nanToMax(final double value)
    {
        return Double.isNaN(value) ? Double.MAX_VALUE : value;
    }

    private static String micros(final double value)
    {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%,.1f", value);
    }

    private static String rate(final double value)
    {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%,.0f", value);
    }

    private static String trim(final double value)
    {
        return new java.math.BigDecimal(String.format(Locale.ROOT, "%.3f", value)).stripTrailingZeros()
            .toPlainString();
    }
}
