/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard in a real browser: headless Chromium loads {@code /dashboard} from a broker while peers send, runs
 * its script against {@code /api/timeseries} and {@code /connz}, and the DOM it leaves has every chart drawn with
 * data. Skipped, saying why, when no Chromium is installed, except under CI ({@code CI=true}), which installs it.
 * <p>
 * {@code -Dtern.dashboardScreenshot=docs/img/dashboard.png} also saves a screenshot of the page (the one in the docs).
 */
@Timeout(120)
class DashboardBrowserTest extends BrokerTestSupport
{
    private static final String[] CHARTS = {"messages", "connections", "problems", "distribution", "read_to_route",
        "route_to_write", "read_to_write"};
    private static final Pattern BODY =
        Pattern.compile("<body data-rendered=\"(\\d+)\" data-charts-with-data=\"(\\d+)\"");
    private static final Duration BROWSER_TIMEOUT = Duration.ofSeconds(60);

    @Test
    void shouldDrawEveryChartWithDataInHeadlessChromium(@TempDir final Path dir) throws Exception
    {
        final String chromium = findChromium();
        if (null == chromium && null != System.getenv("CI"))
        {
            fail("CI installs Chromium (.ci/run): none found on the PATH");
        }
        assumeTrue(null != chromium, "no chromium, chromium-browser or google-chrome on the PATH: the dashboard's " +
            "browser test is skipped (apt-get install chromium to run it)");

        startBroker();
        final InetSocketAddress admin = broker.adminAddress();
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong delivered = new AtomicLong();
        final List<Future<?>> load = new ArrayList<>();
        for (final String[] pair : new String[][]{{"alice", "bob"}, {"carol", "dave"}})
        {
            final LineClient sender = register(pair[0]);
            final LineClient receiver = register(pair[1]);
            load.add(executor.submit(() ->
            {
                // Lockstep: each message is received before the next is sent, so the load needs no bound.
                for (long i = 0; running.get(); i++)
                {
                    sender.send(pair[1] + ": m" + i);
                    receiver.expectLine("from " + pair[0] + ": m" + i);
                    delivered.incrementAndGet();
                }
                return null;
            }));
        }
        // Two whole seconds of samples with traffic in them, so that every time series has points to draw.
        awaitCondition("two seconds of samples with messages in them", Duration.ofSeconds(20), () ->
            samplesWithMessages(admin) >= 2);

        final String url = "http://" + admin.getAddress().getHostAddress() + ":" + admin.getPort() + "/dashboard";
        final String dom = runChromium(chromium, dir, "--dump-dom", url);
        final Matcher body = BODY.matcher(dom);
        assertTrue(body.find(), "the page's script ran and drew: " + head(dom));
        assertTrue(Integer.parseInt(body.group(1)) >= 1, body.group());
        assertEquals(CHARTS.length, Integer.parseInt(body.group(2)), "charts with data: " + body.group());
        for (final String chart : CHARTS)
        {
            final Matcher svg = Pattern.compile("<svg id=\"" + chart + "\"[^>]* data-points=\"(\\d+)\"").matcher(dom);
            assertTrue(svg.find(), chart + " drawn: " + head(dom));
            assertTrue(Integer.parseInt(svg.group(1)) > 0, chart + " has points: " + svg.group());
            assertTrue(dom.contains("id=\"" + chart + "\""), chart);
        }
        assertTrue(dom.contains("<path d=\"M"), "lines drawn");
        // Log axes: every latency label is a whole decade (a linear axis would start at 0 and step evenly), and the
        // distribution's percentile axis is HdrHistogram's, 0%, 90%, 99%, ...
        final Pattern decade = Pattern.compile("(1|10|100) (ns|us|ms|s)");
        final List<String> distribution = axisLabels(dom, "distribution");
        assertTrue(distribution.containsAll(List.of("0%", "90%", "99%")), "the log percentile axis: " + distribution);
        for (final String chart : new String[]{"distribution", "read_to_route", "route_to_write", "read_to_write"})
        {
            final List<String> latency = axisLabels(dom, chart).stream()
                .filter(label -> !label.endsWith("%") && !label.matches("\\d\\d:\\d\\d:\\d\\d")).toList();
            assertTrue(latency.size() >= 2 && latency.stream().allMatch(label -> decade.matcher(label).matches()),
                chart + ": a log latency axis, labelled in decades: " + latency);
        }
        assertTrue(dom.contains("<td>alice</td>") || dom.contains("<td>bob</td>"), "the peers table from /connz");

        final String screenshot = System.getProperty("tern.dashboardScreenshot");
        if (null != screenshot)
        {
            final Path target = Path.of(screenshot).toAbsolutePath();
            // A one-minute window: the test's few seconds of traffic fill more of each chart.
            runChromium(chromium, dir, "--screenshot=" + target, "--window-size=1240,1240", "--hide-scrollbars",
                url + "?window=60");
            assertTrue(Files.size(target) > 10_000, "a screenshot in " + target);
        }
        running.set(false);
        for (final Future<?> task : load)
        {
            join(task, Duration.ofSeconds(10), "the load to stop");
        }
        assertTrue(delivered.get() > 0);
    }

    @Test
    void shouldServeThePageToABrowserAndTheListOfEndpointsToCurl() throws Exception
    {
        startBroker();
        final InetSocketAddress admin = broker.adminAddress();
        final java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        final java.net.URI root = java.net.URI.create("http://" + admin.getAddress().getHostAddress() + ":" +
            admin.getPort() + "/");
        final java.net.http.HttpResponse<String> browser = client.send(java.net.http.HttpRequest.newBuilder(root)
            .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8").build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, browser.statusCode());
        assertTrue(browser.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(browser.body().contains("<svg id=\"read_to_write\""), "the dashboard");
        final java.net.http.HttpResponse<String> curl = client.send(java.net.http.HttpRequest.newBuilder(root)
            .header("Accept", "*/*").build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, curl.statusCode());
        assertTrue(curl.body().startsWith("tern broker admin endpoint") && curl.body().contains("/connz"), curl.body());
        final java.net.http.HttpResponse<String> page = new AdminClient(admin).get("/dashboard");
        assertEquals(browser.body(), page.body(), "/dashboard is the same page");
        // Served from the jar, it names no other origin: nothing to fetch from the network.
        final String withoutSvgNamespace = page.body().replace("\"http://www.w3.org/2000/svg\"", "");
        assertTrue(!withoutSvgNamespace.contains("http://") && !withoutSvgNamespace.contains("https://") &&
            !withoutSvgNamespace.contains("src=") && !withoutSvgNamespace.contains("@import"),
            "no absolute URL, script or style from elsewhere in the page");
    }

    /** @return the texts the page drew in the chart's svg (its axis labels), in the order drawn. */
    private static List<String> axisLabels(final String dom, final String chart)
    {
        final int start = dom.indexOf("<svg id=\"" + chart + "\"");
        assertTrue(start >= 0, chart);
        final Matcher text = Pattern.compile("<text[^>]*>([^<]*)</text>")
            .matcher(dom.substring(start, dom.indexOf("</svg>", start)));
        final List<String> labels = new ArrayList<>();
        while (text.find())
        {
            labels.add(text.group(1));
        }
        return labels;
    }

    /** @return seconds in /api/timeseries in which messages came in. */
    private static long samplesWithMessages(final InetSocketAddress admin)
    {
        try
        {
            final String json = new AdminClient(admin).get("/api/timeseries?seconds=10").body();
            final Matcher in = Pattern.compile("\"in\":\\[([^\\]]*)]").matcher(json);
            assertTrue(in.find(), json);
            long seconds = 0;
            for (final String rate : in.group(1).split(","))
            {
                if (!rate.isEmpty() && Double.parseDouble(rate) > 0)
                {
                    seconds++;
                }
            }
            return seconds;
        }
        catch (final IOException | InterruptedException ex)
        {
            throw new AssertionError(ex);
        }
    }

    /**
     * Runs headless Chromium on the page, with virtual time: the page's timers and fetches run, then Chromium dumps
     * the DOM or takes the screenshot and exits.
     */
    private static String runChromium(final String chromium, final Path dir, final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-extensions", "--user-data-dir=" + dir.resolve("profile"),
            "--virtual-time-budget=4000"));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command)
            .redirectError(dir.resolve("chromium.err").toFile())
            .start();
        final Future<byte[]> out = java.util.concurrent.ForkJoinPool.commonPool().submit(() ->
        {
            try (InputStream in = process.getInputStream())
            {
                return in.readAllBytes();
            }
        });
        if (!process.waitFor(BROWSER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            fail("chromium did not finish in " + BROWSER_TIMEOUT + ": " +
                Files.readString(dir.resolve("chromium.err")));
        }
        final String dom = new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), "chromium's exit status; its errors: " +
            Files.readString(dir.resolve("chromium.err")));
        return dom;
    }

    private static String findChromium()
    {
        final String path = System.getenv("PATH");
        if (null == path)
        {
            return null;
        }
        for (final String name : new String[]{"chromium", "chromium-browser", "google-chrome"})
        {
            for (final String directory : path.split(File.pathSeparator))
            {
                final File candidate = new File(directory, name);
                if (candidate.isFile() && candidate.canExecute())
                {
                    return candidate.getPath();
                }
            }
        }
        return null;
    }

    private static String head(final String text)
    {
        return text.length() <= 2000 ? text : text.substring(0, 2000) + "...";
    }
}
