/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Talks to a broker's admin endpoint with {@link HttpClient}, and reads what it serves back independently of the
 * broker's code: the Prometheus text format into a map of series to values, HdrHistogram's percentile text format
 * into rows and a total count.
 */
final class AdminClient
{
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern TOTAL_COUNT = Pattern.compile("Total count\\s*=\\s*(\\d+)");

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final String base;

    AdminClient(final InetSocketAddress address)
    {
        assertNotNull(address, "the admin endpoint is off");
        base = "http://" + address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    HttpResponse<String> get(final String pathAndQuery) throws IOException, InterruptedException
    {
        return client.send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(TIMEOUT).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(final String pathAndQuery) throws IOException, InterruptedException
    {
        return client.send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(TIMEOUT)
            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** @return every sample of {@code /metrics}, keyed as {@code name{label="value",...}} with labels sorted. */
    Map<String, Double> metrics() throws IOException, InterruptedException
    {
        final HttpResponse<String> response = get("/metrics");
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
            "content type " + response.headers().firstValue("Content-Type"));
        return parsePrometheus(response.body());
    }

    static Map<String, Double> parsePrometheus(final String text)
    {
        final Map<String, Double> samples = new TreeMap<>();
        for (final String line : text.split("\n"))
        {
            if (line.isBlank() || line.startsWith("#"))
            {
                continue;
            }
            final Matcher sample = SAMPLE.matcher(line.trim());
            if (!sample.matches())
            {
                fail("not a Prometheus text format sample: " + line);
            }
            final Map<String, String> labels = new TreeMap<>();
            if (null != sample.group(3))
            {
                final Matcher label = LABEL.matcher(sample.group(3));
                while (label.find())
                {
                    labels.put(label.group(1), label.group(2));
                }
            }
            samples.put(series(sample.group(1), labels), Double.parseDouble(sample.group(4)));
        }
        return samples;
    }

    /** @return the key of a series: {@code name} or {@code name{a="x",b="y"}}, labels sorted by name. */
    static String series(final String name, final Map<String, String> labels)
    {
        if (labels.isEmpty())
        {
            return name;
        }
        final StringBuilder key = new StringBuilder(name).append('{');
        new TreeMap<>(labels).forEach((label, value) -> key.append(label).append("=\"").append(value).append("\","));
        key.setLength(key.length() - 1);
        return key.append('}').toString();
    }

    /** @return the key of a series with one label. */
    static String series(final String name, final String label, final String value)
    {
        return series(name, Map.of(label, value));
    }

    /**
     * One distribution in HdrHistogram's percentile text format.
     *
     * @param values      the Value column.
     * @param percentiles the Percentile column, 0 to 1.
     * @param counts      the TotalCount column.
     * @param totalCount  from the {@code #[... Total count = N]} footer.
     */
    record Distribution(List<Double> values, List<Double> percentiles, List<Long> counts, long totalCount)
    {
    }

    /**
     * Parses one or more distributions ({@code outputPercentileDistribution}), each ending with its footer. Lines
     * starting with {@code #} other than the footer are comments.
     */
    static List<Distribution> parseDistributions(final String text)
    {
        final List<Distribution> distributions = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        List<Double> percentiles = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        boolean header = false;
        for (final String raw : text.split("\n"))
        {
            final String line = raw.trim();
            if (line.isEmpty())
            {
                continue;
            }
            if (line.startsWith("Value"))
            {
                assertTrue(line.matches("Value\\s+Percentile\\s+TotalCount\\s+1/\\(1-Percentile\\)"), line);
                header = true;
                continue;
            }
            if (line.startsWith("#"))
            {
                final Matcher total = TOTAL_COUNT.matcher(line);
                if (total.find())
                {
                    assertTrue(header, "footer without a header: " + line);
                    distributions.add(new Distribution(values, percentiles, counts, Long.parseLong(total.group(1))));
                    values = new ArrayList<>();
                    percentiles = new ArrayList<>();
                    counts = new ArrayList<>();
                    header = false;
                }
                continue;
            }
            final String[] fields = line.split("\\s+");
            assertTrue(header && (fields.length == 4 || fields.length == 3), "not a distribution row: " + raw);
            values.add(Double.parseDouble(fields[0]));
            percentiles.add(Double.parseDouble(fields[1]));
            counts.add(Long.parseLong(fields[2]));
        }
        for (final Distribution distribution : distributions)
        {
            for (int i = 1; i < distribution.values().size(); i++)
            {
                assertTrue(distribution.values().get(i) >= distribution.values().get(i - 1), "values ascend");
                assertTrue(distribution.percentiles().get(i) >= distribution.percentiles().get(i - 1),
                    "percentiles ascend");
                assertTrue(distribution.counts().get(i) >= distribution.counts().get(i - 1), "counts ascend");
            }
            if (!distribution.counts().isEmpty())
            {
                assertEquals(distribution.totalCount(), distribution.counts().get(distribution.counts().size() - 1),
                    "the last row holds every value");
            }
        }
        return distributions;
    }
}
