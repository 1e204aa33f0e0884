/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code /metrics} read as a scraper reads it: a strict parser of the Prometheus text format (version 0.0.4) written
 * here, independent of the client library that writes it (version 1.10 of the Java client ships no parser): every
 * sample belongs to a family declared by {@code # TYPE} before it, with the suffixes its type allows, each series
 * once; histograms have cumulative buckets in ascending {@code le} order ending at {@code +Inf}, equal to
 * {@code _count}, and a {@code _sum}. Then what an operator relies on: the stage histograms count every message, the
 * JVM's and the process's metrics and the build info are there.
 */
@Timeout(60)
class PrometheusExpositionTest extends BrokerTestSupport
{
    private static final Pattern HELP = Pattern.compile("^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$");
    private static final Pattern TYPE =
        Pattern.compile("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$");
    private static final Pattern SAMPLE =
        Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)(?: (-?\\d+))?$");
    private static final Pattern LABEL =
        Pattern.compile("\\G([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\",?");
    private static final String[] STAGES = {"read_to_route", "route_to_write", "read_to_write"};

    /** One sample: its family, the name as written, its labels, its value. */
    record Sample(String family, String name, Map<String, String> labels, double value)
    {
    }

    /** A family's type and samples, in the order written. */
    static final class Family
    {
        final String type;
        final List<Sample> samples = new ArrayList<>();

        Family(final String type)
        {
            this.type = type;
        }
    }

    @Test
    void shouldExposeHistogramsJvmProcessAndBuildInfoInAStrictlyValidTextFormat() throws Exception
    {
        startBroker();
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        final int messages = 200;
        for (int i = 0; i < messages; i++)
        {
            alice.send("bob: m" + i);
        }
        for (int i = 0; i < messages; i++)
        {
            bob.expectLine("from alice: m" + i);
        }

        final HttpResponse<String> response = new AdminClient(broker.adminAddress()).get("/metrics");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
            String.valueOf(response.headers().firstValue("Content-Type")));
        final Map<String, Family> families = parse(response.body());

        final Family histogram = families.get("tern_stage_latency_histogram_seconds");
        assertNotNull(histogram, "the stage histograms");
        assertEquals("histogram", histogram.type);
        for (final String stage : STAGES)
        {
            final List<Sample> buckets = new ArrayList<>();
            Double count = null;
            Double sum = null;
            for (final Sample sample : histogram.samples)
            {
                if (!stage.equals(sample.labels().get("stage")))
                {
                    continue;
                }
                if (sample.name().endsWith("_bucket"))
                {
                    buckets.add(sample);
                }
                else if (sample.name().endsWith("_count"))
                {
                    count = sample.value();
                }
                else if (sample.name().endsWith("_sum"))
                {
                    sum = sample.value();
                }
            }
            assertNotNull(count, stage + " _count");
            assertNotNull(sum, stage + " _sum");
            assertTrue(buckets.size() >= 20, stage + ": buckets from microseconds to seconds, " + buckets.size());
            assertEquals("1.0E-6", buckets.get(0).labels().get("le"), "the first bucket is 1 us");
            double lastBound = Double.NEGATIVE_INFINITY;
            double lastCount = 0;
            for (final Sample bucket : buckets)
            {
                final double bound = parseValue(bucket.labels().get("le"));
                assertTrue(bound > lastBound, stage + ": le ascending: " + bucket);
                assertTrue(bucket.value() >= lastCount, stage + ": cumulative: " + bucket);
                lastBound = bound;
                lastCount = bucket.value();
            }
            assertEquals(Double.POSITIVE_INFINITY, lastBound, stage + ": the last bucket is +Inf");
            assertEquals(count, lastCount, stage + ": +Inf bucket = _count");
            // Every line from a registered peer is timed into read_to_route, every delivery into the other two:
            // the messages and each registration's self-addressed probe.
            assertEquals(messages + 2, count, stage + " counts every message");
            assertTrue(sum > 0 && sum < messages * 10.0, stage + " _sum in seconds: " + sum);
            // The summary with the same values is still there, with the same count.
            assertEquals(count, value(families, "tern_stage_latency_seconds", "tern_stage_latency_seconds_count",
                Map.of("stage", stage)));
        }

        for (final String name : new String[]{"jvm_memory_used_bytes", "jvm_memory_pool_used_bytes",
            "jvm_threads_current", "jvm_buffer_pool_used_bytes", "jvm_classes_currently_loaded",
            "jvm_gc_collection_seconds", "jvm_runtime_info"})
        {
            assertTrue(families.containsKey(name), "JVM metric " + name + " in " + families.keySet());
        }
        assertTrue(value(families, "jvm_buffer_pool_used_bytes", "jvm_buffer_pool_used_bytes",
            Map.of("pool", "direct")) > 0, "the broker's direct buffers show");
        for (final String name : new String[]{"process_cpu_seconds_total", "process_start_time_seconds",
            "process_open_fds", "process_max_fds", "process_resident_memory_bytes"})
        {
            assertTrue(families.containsKey(name), "process metric " + name + " in " + families.keySet());
        }
        assertTrue(value(families, "process_open_fds", "process_open_fds", Map.of()) > 2, "descriptors counted");

        final Family buildInfo = families.get("tern_build_info");
        assertNotNull(buildInfo, "build info");
        assertEquals(1, buildInfo.samples.size());
        final Sample info = buildInfo.samples.get(0);
        assertEquals(1.0, info.value());
        assertFalse(info.labels().getOrDefault("version", "").isEmpty(), "a version label: " + info);
        assertFalse(info.labels().getOrDefault("commit", "").isEmpty(), "a commit label: " + info);
        final double uptime = value(families, "tern_uptime_seconds", "tern_uptime_seconds", Map.of());
        assertTrue(uptime > 0 && uptime < 600, "uptime in seconds: " + uptime);
    }

    private static double value(
        final Map<String, Family> families, final String family, final String name, final Map<String, String> labels)
    {
        final Family found = families.get(family);
        assertNotNull(found, family);
        for (final Sample sample : found.samples)
        {
            if (sample.name().equals(name) && sample.labels().entrySet().containsAll(labels.entrySet()))
            {
                return sample.value();
            }
        }
        fail("no " + name + labels + " in " + found.samples);
        return Double.NaN;
    }

    /**
     * Parses the text format strictly; any line out of place fails the test.
     *
     * @return the families by name, in the order written.
     */
    static Map<String, Family> parse(final String text)
    {
        assertTrue(text.endsWith("\n"), "the last line ends with a line feed");
        final Map<String, Family> families = new LinkedHashMap<>();
        final Set<String> helped = new HashSet<>();
        final Set<String> series = new HashSet<>();
        for (final String line : text.split("\n"))
        {
            if (line.startsWith("# HELP "))
            {
                final Matcher help = HELP.matcher(line);
                assertTrue(help.matches(), "HELP line: " + line);
                assertTrue(helped.add(help.group(1)), "one HELP per family: " + line);
                continue;
            }
            if (line.startsWith("# TYPE "))
            {
                final Matcher type = TYPE.matcher(line);
                assertTrue(type.matches(), "TYPE line: " + line);
                assertFalse(families.containsKey(type.group(1)), "one TYPE per family, before its samples: " + line);
                families.put(type.group(1), new Family(type.group(2)));
                continue;
            }
            assertFalse(line.isEmpty() || line.startsWith("#"), "no blank lines or other comments: '" + line + "'");
            final Matcher sample = SAMPLE.matcher(line);
            assertTrue(sample.matches(), "sample line: " + line);
            final String name = sample.group(1);
            final Map<String, String> labels = new TreeMap<>();
            if (null != sample.group(2) && !sample.group(2).isEmpty())
            {
                final Matcher label = LABEL.matcher(sample.group(2));
                int end = 0;
                while (label.find())
                {
                    assertTrue(null == labels.put(label.group(1), label.group(2)), "label once: " + line);
                    end = label.end();
                }
                assertEquals(sample.group(2).length(), end, "labels: " + line);
            }
            final String family = familyOf(families, name);
            assertNotNull(family, "a TYPE before the sample " + line);
            assertTrue(series.add(name + labels), "each series once: " + line);
            families.get(family).samples.add(new Sample(family, name, labels, parseValue(sample.group(3))));
        }
        return families;
    }

    /** @return the family a sample name belongs to, by its type's suffixes; null if none declared. */
    private static String familyOf(final Map<String, Family> families, final String name)
    {
        final Family exact = families.get(name);
        // The 0.0.4 writer declares a counter by its sample's name, _total included (as Prometheus reads it); a
        // summary's quantiles are samples of its own name.
        if (null != exact && !exact.type.equals("histogram") &&
            (!exact.type.equals("counter") || name.endsWith("_total")))
        {
            return name;
        }
        final String[][] suffixes = {
            {"counter", "_total"}, {"counter", "_created"},
            {"histogram", "_bucket"}, {"histogram", "_count"}, {"histogram", "_sum"}, {"histogram", "_created"},
            {"summary", "_count"}, {"summary", "_sum"}, {"summary", "_created"}};
        for (final String[] suffix : suffixes)
        {
            if (name.endsWith(suffix[1]))
            {
                final String base = name.substring(0, name.length() - suffix[1].length());
                final Family family = families.get(base);
                if (null != family && family.type.equals(suffix[0]))
                {
                    return base;
                }
            }
        }
        return null;
    }

    /** @return a sample value as the format writes it: a Go float, or +Inf, -Inf, NaN. */
    private static double parseValue(final String text)
    {
        switch (text)
        {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                assertTrue(text.matches("-?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?"), "a number: " + text);
                return Double.parseDouble(text);
        }
    }
}
