/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /connz} against known traffic over real sockets: every open peer with its name, address and counters
 * exactly as sent, sorted and paged as asked; a peer that does not read shows its queued bytes; bad queries are
 * refused.
 */
@Timeout(60)
class ConnzTest extends BrokerTestSupport
{
    private static final Pattern FIELD = Pattern.compile("\"([a-z_]+)\":(\"(?:[^\"\\\\]|\\\\.)*\"|[^,}\\]]+)");

    @Test
    void shouldListEveryPeerWithItsCountersSortedAndPaged() throws Exception
    {
        startBroker();
        final LineClient alice = register("alice"); // each registration's self-probe: 1 line in, 1 delivery
        final LineClient bob = register("bob");
        final LineClient carol = register("carol");
        for (int i = 0; i < 5; i++)
        {
            alice.send("bob, carol: hello " + i); // 19 bytes and a line end
            bob.expectLine("from alice: hello " + i);
            carol.expectLine("from alice: hello " + i);
        }
        bob.send("alice: hi"); // 9 bytes and a line end
        alice.expectLine("from bob: hi");
        final AdminClient admin = new AdminClient(broker.adminAddress());

        final HttpResponse<String> response = admin.get("/connz");
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        final String json = response.body();
        assertEquals("3", field(json, "total"), json);
        assertEquals("3", field(json, "num_connections"), json);
        assertEquals("\"cid\"", field(json, "sort"), json);
        final List<Map<String, String>> rows = rows(json);
        assertEquals(List.of("\"alice\"", "\"bob\"", "\"carol\""), column(rows, "name"), "oldest connection first");
        final Map<String, String> a = rows.get(0);
        final Map<String, String> b = rows.get(1);
        final Map<String, String> c = rows.get(2);
        // alice: her probe and 5 lines in; her probe and bob's line out.
        assertEquals("6", a.get("msgs_in"));
        assertEquals("2", a.get("msgs_out"));
        assertEquals("2", b.get("msgs_in"));
        assertEquals("6", b.get("msgs_out"));
        assertEquals("1", c.get("msgs_in"));
        assertEquals("6", c.get("msgs_out"));
        // Bytes: each probe line "name: probe\n" comes back as "from name: probe\n", 5 bytes longer.
        final long hello = "from alice: hello 0".length() + 1;
        final long aliceProbe = bytes(a, "bytes_in") - 5 * ("bob, carol: hello 0".length() + 1);
        assertEquals(aliceProbe + 5 + "from bob: hi".length() + 1, bytes(a, "bytes_out"));
        final long bobProbe = bytes(b, "bytes_in") - ("alice: hi".length() + 1);
        assertEquals(bobProbe + 5 + 5 * hello, bytes(b, "bytes_out"));
        final long carolProbe = bytes(c, "bytes_in");
        assertEquals(carolProbe + 5 + 5 * hello, bytes(c, "bytes_out"));
        assertTrue(aliceProbe > "alice: ".length() && bobProbe > "bob: ".length() && carolProbe > "carol: ".length(),
            aliceProbe + " " + bobProbe + " " + carolProbe);
        assertEquals("\"" + bob.socket().getLocalSocketAddress() + "\"", b.get("remote"), "the peer's address");
        assertEquals("false", b.get("tls"));
        assertEquals("0", b.get("pending_bytes"), "bob has read everything");
        assertEquals(String.valueOf(16L * 1024 * 1024), b.get("max_pending_bytes"), "the per-peer bound");
        assertTrue(b.get("connected_since").matches("\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z\""),
            b.get("connected_since"));

        final List<Map<String, String>> byIn = rows(admin.get("/connz?sort=msgs_in").body());
        assertEquals(List.of("\"alice\"", "\"bob\"", "\"carol\""), column(byIn, "name"), "most lines in first");
        final List<Map<String, String>> byOut = rows(admin.get("/connz?sort=msgs_out").body());
        assertEquals(List.of("\"bob\"", "\"carol\"", "\"alice\""), column(byOut, "name"),
            "most lines out first, ties by connection");
        final String page = admin.get("/connz?sort=name&offset=1&limit=1").body();
        assertEquals("3", field(page, "total"), page);
        assertEquals("1", field(page, "num_connections"), page);
        assertEquals(List.of("\"bob\""), column(rows(page), "name"), page);
        assertEquals(List.of(), rows(admin.get("/connz?offset=10").body()), "past the end: no rows");

        assertEquals(400, admin.get("/connz?limit=5000").statusCode(), "limit capped at 1024");
        assertEquals(400, admin.get("/connz?limit=0").statusCode());
        assertEquals(400, admin.get("/connz?sort=secret").statusCode());
        assertEquals(400, admin.get("/connz?offset=-1").statusCode());
        assertEquals(405, admin.post("/connz").statusCode());
        // Peers' names and addresses: not for a web page that reached the endpoint through DNS rebinding.
        assertTrue(rawGet("/connz", "evil.example").startsWith("HTTP/1.1 403 "), "a foreign Host is refused");
        assertTrue(rawGet("/connz", "localhost:" + broker.adminAddress().getPort()).startsWith("HTTP/1.1 200 "));

        carol.close();
        awaitCondition("carol to leave the list", Duration.ofSeconds(10), () -> column(rows(getQuietly(admin,
            "/connz")), "name").equals(List.of("\"alice\"", "\"bob\"")));
    }

    @Test
    void shouldShowTheBytesQueuedForAPeerThatDoesNotRead() throws Exception
    {
        // A bound well above what is sent, so the sleeper is never cut while the kernel's buffers fill.
        startBroker(new BrokerConfig().maxQueuedBytesPerPeer(256L * 1024 * 1024));
        final LineClient sender = register("sender");
        final LineClient sleeper = register("sleeper", 4096); // a small receive buffer, and it never reads
        final String line = "sleeper: " + "x".repeat(1000);
        final AdminClient admin = new AdminClient(broker.adminAddress());
        // Send until the socket buffers are full and bytes wait in the sleeper's queue, looking every 1000 lines.
        Map<String, String> top = null;
        for (int batch = 0; batch < 100 && (null == top || Long.parseLong(top.get("pending_bytes")) == 0); batch++)
        {
            for (int i = 0; i < 1000; i++)
            {
                sender.send(line);
            }
            final List<Map<String, String>> rows = rows(getQuietly(admin, "/connz?sort=pending&limit=1"));
            top = rows.isEmpty() ? null : rows.get(0);
        }
        assertTrue(null != top && Long.parseLong(top.get("pending_bytes")) > 0, "bytes queued: " + top);
        assertEquals("\"sleeper\"", top.get("name"), "the peer with the most queued first");
        assertTrue(Double.parseDouble(top.get("pending_fill")) > 0, "its share of the bound: " + top);
        assertEquals(String.valueOf(256L * 1024 * 1024), top.get("max_pending_bytes"));
        sleeper.abort();
    }

    @Test
    void shouldSayThereIsNoClusterOnClusterzOfASingleNode() throws Exception
    {
        startBroker();
        final AdminClient admin = new AdminClient(broker.adminAddress());
        final HttpResponse<String> response = admin.get("/clusterz");
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertEquals("{\"cluster\":false}", response.body());
        assertEquals(405, admin.post("/clusterz").statusCode());
        // Names held in the cluster: what /connz needs, /clusterz needs too.
        assertTrue(rawGet("/clusterz", "evil.example").startsWith("HTTP/1.1 403 "), "a foreign Host is refused");
    }

    /** @return the response to a GET sent with the given Host header, over a raw socket. */
    private String rawGet(final String path, final String host) throws java.io.IOException
    {
        try (java.net.Socket socket = new java.net.Socket(broker.adminAddress().getAddress(),
            broker.adminAddress().getPort()))
        {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static long bytes(final Map<String, String> row, final String name)
    {
        return Long.parseLong(row.get(name));
    }

    private static String getQuietly(final AdminClient admin, final String path)
    {
        try
        {
            final HttpResponse<String> response = admin.get(path);
            assertEquals(200, response.statusCode(), response.body());
            return response.body();
        }
        catch (final java.io.IOException | InterruptedException ex)
        {
            throw new AssertionError(ex);
        }
    }

    private static String field(final String json, final String name)
    {
        final Matcher matcher = Pattern.compile("\"" + name + "\":(\"[^\"]*\"|[^,}]+)").matcher(json);
        assertTrue(matcher.find(), name + " in " + json);
        return matcher.group(1);
    }

    /** @return the rows of the connections array, each a map of its fields to their JSON text. */
    private static List<Map<String, String>> rows(final String json)
    {
        final int start = json.indexOf("\"connections\":[");
        assertTrue(start >= 0, json);
        final String array = json.substring(start + "\"connections\":[".length(), json.lastIndexOf(']'));
        final List<Map<String, String>> rows = new ArrayList<>();
        if (array.isBlank())
        {
            return rows;
        }
        for (final String object : array.substring(1, array.length() - 1).split("\\},\\{"))
        {
            final Map<String, String> row = new LinkedHashMap<>();
            final Matcher matcher = FIELD.matcher(object);
            while (matcher.find())
            {
                row.put(matcher.group(1), matcher.group(2));
            }
            rows.add(row);
        }
        return rows;
    }

    private static List<String> column(final List<Map<String, String>> rows, final String name)
    {
        final List<String> values = new ArrayList<>();
        for (final Map<String, String> row : rows)
        {
            values.add(row.get(name));
        }
        return values;
    }
}
