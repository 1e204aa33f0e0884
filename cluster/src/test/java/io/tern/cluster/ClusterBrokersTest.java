/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.Settings;
import io.tern.client.ErrorKind;
import io.tern.client.ErrorReply;
import io.tern.client.LineDecoder;
import io.tern.client.ReceivedMessage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three broker nodes as one broker, on loopback: nodes 0 (shared threading) and 1 (dedicated) in this JVM, node 2 in
 * a JVM of its own so that a test can {@code kill -9} it. Peers on different nodes exchange messages in order with a single node's replies; a
 * name is unique cluster-wide and a race for it has one winner; the names of a killed node are free again within the
 * session timeout (plus an election if it led the directory) while peers on the other nodes lose nothing. One
 * cluster for the class; the kill runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterBrokersTest
{
    private static final long SESSION_TIMEOUT_MS = 4000;
    /** Node 0 runs shared, node 1 dedicated: every thread on the message path of either. */
    private static final java.util.Set<String> HOT_THREADS =
        java.util.Set.of("shared", "reader-0", "broker", "writer-0", "cluster");

    private static File dir;
    private static String membersList;
    private static final Broker[] BROKERS = new Broker[2];
    private static Process node2;
    private static InetSocketAddress node2Address;
    private static final StringBuffer NODE2_OUTPUT = new StringBuffer();

    @BeforeAll
    static void start() throws Exception
    {
        dir = Files.createTempDirectory("tern-cluster-brokers").toFile();
        final String members = ClusterPorts.members(3);
        node2 = new ProcessBuilder(
            new File(System.getProperty("java.home"), "bin/java").getPath(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Xmx256m",
            "-cp", System.getProperty("java.class.path"),
            "io.tern.broker.BrokerMain",
            "--port", "0", "--admin-port", "off",
            "--cluster-members", members, "--cluster-node-id", "2",
            "--cluster-dir", new File(dir, "node-2").getPath(),
            "--cluster-session-timeout-ms", Long.toString(SESSION_TIMEOUT_MS))
            .redirectErrorStream(true)
            .start();
        final CompletableFuture<InetSocketAddress> listening = new CompletableFuture<>();
        final Thread pump = new Thread(() -> pump(listening), "node-2-output");
        pump.setDaemon(true);
        pump.start();

        membersList = members;
        for (int node = 0; node < 2; node++)
        {
            BROKERS[node] = Broker.launch(config(node));
        }
        node2Address = listening.get(30, TimeUnit.SECONDS);
        for (int node = 0; node < 2; node++)
        {
            final Broker broker = BROKERS[node];
            TestNodes.await(broker::clusterConnected, 30_000, "node " + node + " joins the directory");
        }
        // Node 2 has joined once a name claimed there is granted (not refused as unavailable).
        TestNodes.await(() -> named(node2Address, "probe-2"), 30_000, "node 2 joins the directory");
    }

    private static BrokerConfig config(final int node)
    {
        return new BrokerConfig()
            .threading(0 == node ? "shared" : "dedicated") // both modes carry cross-node traffic
            .port(0)
            .adminPort(0 == node ? 0 : -1) // node 0 shows its cluster metrics
            .set(Settings.CLUSTER_MEMBERS, membersList)
            .set(Settings.CLUSTER_NODE_ID, node)
            .set(Settings.CLUSTER_DIR, new File(dir, "node-" + node).toPath())
            .set(Settings.CLUSTER_SESSION_TIMEOUT_MS, SESSION_TIMEOUT_MS);
    }

    private static void pump(final CompletableFuture<InetSocketAddress> listening)
    {
        try (BufferedReader reader = new BufferedReader(
            new InputStreamReader(node2.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while (null != (line = reader.readLine()))
            {
                NODE2_OUTPUT.append(line).append('\n');
                if (line.startsWith("tern broker listening on "))
                {
                    final String address = line.substring("tern broker listening on ".length());
                    final int colon = address.lastIndexOf(':');
                    listening.complete(new InetSocketAddress(address.substring(0, colon),
                        Integer.parseInt(address.substring(colon + 1))));
                }
            }
        }
        catch (final IOException ex)
        {
            listening.completeExceptionally(ex);
        }
        listening.completeExceptionally(new IllegalStateException("node 2 ended:\n" + NODE2_OUTPUT));
    }

    /**
     * @return true if a peer of that name is admitted on the node: a message to itself comes back (a line sent while
     * the claim is pending is routed once it is granted); it then leaves.
     */
    private static boolean named(final InetSocketAddress address, final String name)
    {
        try (Client client = new Client(address, name))
        {
            client.send(name + ": self");
            return ("from " + name + ": self").equals(client.poll(2000));
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    @AfterAll
    static void stop()
    {
        for (final Broker broker : BROKERS)
        {
            if (null != broker)
            {
                broker.close();
            }
        }
        if (null != node2)
        {
            node2.destroyForcibly();
        }
        if (null != dir)
        {
            IoUtil.delete(dir, true);
        }
    }

    private static InetSocketAddress address(final int node)
    {
        return node == 2 ? node2Address : BROKERS[node].localAddress();
    }

    @Test
    @Order(1)
    @Timeout(60)
    void shouldDeliverInOrderBetweenPeersOnDifferentNodes() throws Exception
    {
        try (Client alice = new Client(address(0), "alice");
            Client bob = new Client(address(1), "bob");
            Client carol = new Client(address(2), "carol"))
        {
            Client.awaitRoutable(alice, "bob", bob);
            Client.awaitRoutable(bob, "carol", carol);
            Client.awaitRoutable(carol, "alice", alice);
            final int count = 500;
            for (int i = 0; i < count; i++)
            {
                alice.send("bob: a" + i);
                carol.send("bob, alice: c" + i);
            }
            int fromAlice = 0;
            int fromCarol = 0;
            for (int i = 0; i < 2 * count; i++)
            {
                final String line = bob.read();
                if (line.startsWith("from alice: "))
                {
                    assertEquals("from alice: a" + fromAlice++, line);
                }
                else
                {
                    assertEquals("from carol: c" + fromCarol++, line);
                }
            }
            for (int i = 0; i < count; i++)
            {
                assertEquals("from carol: c" + i, alice.read());
            }
            assertNull(bob.poll(200), "bob got more than was sent");
        }
    }

    @Test
    @Order(1)
    @Timeout(60)
    void shouldRouteAFrameFromAnotherNodeWithoutWaitingForATimer() throws Exception
    {
        // A node's shared thread reads its links when its media driver says a frame came. Were that wake lost, each
        // frame would wait for the thread's next timed wake-up (50 ms on average, measured): 50 round trips would take
        // some 5 s. They take a few ms each when woken, so 2 s leaves room for a loaded machine.
        try (Client pat = new Client(address(0), "pat");
            Client quinn = new Client(address(1), "quinn"))
        {
            Client.awaitRoutable(pat, "quinn", quinn);
            Client.awaitRoutable(quinn, "pat", pat);
            final long startNs = System.nanoTime();
            for (int i = 0; i < 50; i++)
            {
                pat.send("quinn: ping " + i);
                assertEquals("from pat: ping " + i, quinn.read());
                quinn.send("pat: pong " + i);
                assertEquals("from quinn: pong " + i, pat.read());
            }
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            System.out.println("ClusterBrokersTest: 50 round trips across nodes took " + tookMs + " ms");
            assertTrue(tookMs < 2000, "50 round trips across nodes took " + tookMs + " ms");
        }
    }

    @Test
    @Order(1)
    @Timeout(60)
    void shouldNotAllocatePerMessageOnTheRoutingOrClusterThreadsAcrossNodes() throws Exception
    {
        try (Client kim = new Client(address(0), "kim");
            Client lou = new Client(address(1), "lou"))
        {
            Client.awaitRoutable(kim, "lou", lou);
            crossNode(kim, lou, 50_000); // warm-up: the JIT compiles the path, pools fill
            final Map<Thread, Long> before = allocatedBytes();
            crossNode(kim, lou, 200_000);
            final Map<Thread, Long> after = allocatedBytes();
            long total = 0;
            final StringBuilder report = new StringBuilder();
            for (final Map.Entry<Thread, Long> entry : before.entrySet())
            {
                final long bytes = after.get(entry.getKey()) - entry.getValue();
                total += bytes;
                report.append(entry.getKey().getName()).append('=').append(bytes).append(' ');
            }
            System.out.println("ClusterBrokersTest: allocated across nodes for 200000 messages: " + report);
            assertEquals(6, before.size(), "node 0's shared and cluster threads, node 1's reader, broker, writer " +
                "and cluster threads: " + before.keySet());
            // Well under a byte per message: any allocation per message (16 bytes or more) would blow it.
            assertTrue(total < 64 * 1024, "allocated on the cross-node path: " + report);
        }
    }

    /** Sends {@code count} lines from one node's peer to another's, 200 a write, and reads them all. */
    private static void crossNode(final Client from, final Client to, final int count) throws Exception
    {
        final CompletableFuture<Integer> received = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                for (int i = 0; i < count; i++)
                {
                    if (!to.read().startsWith("from "))
                    {
                        return i;
                    }
                }
                return count;
            }
            catch (final IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        });
        final StringBuilder batch = new StringBuilder();
        for (int i = 0; i < count; i += 200)
        {
            batch.setLength(0);
            for (int j = 0; j < 200 && i + j < count; j++)
            {
                batch.append(j == 0 ? "" : "\n").append("lou: m").append(i + j);
            }
            from.send(batch.toString());
        }
        assertEquals(count, received.get(30, TimeUnit.SECONDS));
    }

    private static Map<Thread, Long> allocatedBytes()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final Map<Thread, Long> bytes = new LinkedHashMap<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.isAlive() && HOT_THREADS.contains(thread.getName()))
            {
                bytes.put(thread, threads.getThreadAllocatedBytes(thread.getId()));
            }
        }
        return bytes;
    }

    @Test
    @Order(2)
    @Timeout(60)
    void shouldAnswerAsASingleNodeDoes() throws Exception
    {
        try (Client dave = new Client(address(0), "dave"))
        {
            dave.send("nobody: hello");
            assertEquals("error: no peer 'nobody'", dave.read());
        }
    }

    @Test
    @Order(2)
    @Timeout(30)
    void shouldShowTheClusterInMetrics() throws Exception
    {
        final InetSocketAddress admin = BROKERS[0].adminAddress();
        final java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                "http://127.0.0.1:" + admin.getPort() + "/metrics")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        final String body = response.body();
        assertEquals(200, response.statusCode());
        assertTrue(body.contains("tern_cluster_connected 1.0"), body);
        assertTrue(body.contains("tern_cluster_node_id 0.0"), body);
        final java.util.regex.Matcher sent =
            java.util.regex.Pattern.compile("tern_cluster_frames_sent_total ([0-9.E]+)").matcher(body);
        assertTrue(sent.find() && Double.parseDouble(sent.group(1)) > 0, body);
        assertTrue(body.contains("tern_cluster_claims_granted_total"), body);
    }

    @Test
    @Order(2)
    @Timeout(60)
    void shouldShowLinksNamesAndClaimsOnClusterzAndMatchingMetrics() throws Exception
    {
        try (Client mia = new Client(address(0), "mia");
            Client ned = new Client(address(1), "ned");
            Client ola = new Client(address(2), "ola"))
        {
            Client.awaitRoutable(mia, "ned", ned);
            Client.awaitRoutable(ned, "mia", mia);
            Client.awaitRoutable(mia, "ola", ola);
            final String before = clusterz(0, "");
            final Map<String, Long> toNode1 = link(before, 1);
            final int count = 25;
            for (int i = 0; i < count; i++)
            {
                mia.send("ned: hi" + i % 10);
            }
            for (int i = 0; i < count; i++)
            {
                assertEquals("from mia: hi" + i % 10, ned.read());
            }
            ned.send("mia: back");
            assertEquals("from ned: back", mia.read());

            // Node 0's page moves by exactly what was sent: 25 frames of header + "mia" + "ned" + "hiN" to node 1,
            // one of header + "ned" + "mia" + "back" from it.
            final String after = clusterz(0, "");
            final Map<String, Long> fromNode1 = link(after, 1);
            assertEquals(count, fromNode1.get("msgs_sent") - toNode1.get("msgs_sent"), after);
            assertEquals(count * (5 + 3 + 3 + 3), fromNode1.get("bytes_sent") - toNode1.get("bytes_sent"), after);
            assertEquals(1, fromNode1.get("msgs_received") - toNode1.get("msgs_received"), after);
            assertEquals(5 + 3 + 3 + 4, fromNode1.get("bytes_received") - toNode1.get("bytes_received"), after);
            assertTrue(after.startsWith("{\"cluster\":true,"), after);
            assertEquals("0", field(after, "node_id"));
            assertEquals("3", field(after, "nodes"));
            assertEquals("true", field(after, "connected"));
            final String role = field(after, "role");
            assertTrue(role.equals("\"leader\"") || role.equals("\"follower\""), after);
            final int leader = Integer.parseInt(field(after, "leader_id"));
            assertTrue(leader >= 0 && leader < 3, after);
            assertEquals(leader == 0, role.equals("\"leader\""), "leader id and role agree: " + after);
            for (final int node : new int[] {1, 2})
            {
                assertTrue(after.contains("{\"node\":" + node + ",\"publication_connected\":true," +
                    "\"image_present\":true,"), "link to node " + node + " up: " + after);
            }
            // Names per node, from the broker thread's replica: each where it was claimed.
            assertTrue(namesOf(after, 0).contains("\"mia\""), after);
            assertTrue(namesOf(after, 1).contains("\"ned\""), after);
            assertTrue(namesOf(after, 2).contains("\"ola\""), after);
            assertTrue(namesOf(clusterz(0, "?names=0"), 0).isEmpty(), "names=0: counts only");
            assertTrue(Long.parseLong(field(after, "granted")) >= 1, after);
            assertTrue(Double.parseDouble(field(after, "p50")) > 0, "claim latency recorded: " + after);

            // A claim refused as taken moves the claims.
            try (Client again = new Client(address(0), "ned"))
            {
                assertEquals("error: name 'ned' is taken", again.read());
            }
            final String refused = clusterz(0, "");
            assertEquals(Long.parseLong(field(after, "taken")) + 1, Long.parseLong(field(refused, "taken")), refused);

            // The same counters in /metrics, which parses strictly.
            final Map<String, Double> metrics = scrape(0);
            assertEquals((double)fromNode1.get("msgs_sent"),
                metrics.get("tern_cluster_link_frames_sent_total{node=\"1\"}"), 0.0);
            assertEquals(1.0, metrics.get("tern_cluster_link_up{node=\"1\"}"), 0.0);
            assertEquals(1.0, metrics.get("tern_cluster_link_up{node=\"2\"}"), 0.0);
            assertTrue(metrics.get("tern_cluster_claim_seconds_count") >= 2, metrics.toString());
            assertEquals(metrics.get("tern_cluster_claim_seconds_count"),
                metrics.get("tern_cluster_claim_seconds_bucket{le=\"+Inf\"}"), 0.0);
            assertTrue(metrics.get("tern_cluster_names{node=\"1\"}") >= 1, metrics.toString());
            assertEquals(leader == 0 ? 2.0 : 0.0, metrics.get("tern_cluster_member_role"), 0.0);
        }
    }

    private static String clusterz(final int node, final String query) throws Exception
    {
        final java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" +
                BROKERS[node].adminAddress().getPort() + "/clusterz" + query)).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("content-type").orElse(""));
        return response.body();
    }

    /** @return the first {@code "name":value} of the JSON text (a number, true/false or a quoted string). */
    private static String field(final String json, final String name)
    {
        final java.util.regex.Matcher matcher =
            java.util.regex.Pattern.compile("\"" + name + "\":(\"[^\"]*\"|[-0-9.a-z]+)").matcher(json);
        assertTrue(matcher.find(), name + " in " + json);
        return matcher.group(1);
    }

    /** @return the link row's numbers for {@code node}. */
    private static Map<String, Long> link(final String json, final int node)
    {
        final java.util.regex.Matcher row = java.util.regex.Pattern.compile(
            "\\{\"node\":" + node + ",\"publication_connected\":[a-z]+,[^}]*}").matcher(json);
        assertTrue(row.find(), "link to node " + node + " in " + json);
        final Map<String, Long> numbers = new LinkedHashMap<>();
        final java.util.regex.Matcher pair = java.util.regex.Pattern.compile("\"([a-z_]+)\":([0-9]+)")
            .matcher(row.group());
        while (pair.find())
        {
            numbers.put(pair.group(1), Long.parseLong(pair.group(2)));
        }
        return numbers;
    }

    /** @return the names listed for {@code node}, as the JSON strings they are. */
    private static List<String> namesOf(final String json, final int node)
    {
        final java.util.regex.Matcher entry = java.util.regex.Pattern.compile(
            "\\{\"node\":" + node + ",\"count\":[0-9]+,\"names\":\\[([^\\]]*)]}").matcher(json);
        assertTrue(entry.find(), "names of node " + node + " in " + json);
        return entry.group(1).isEmpty() ? List.of() : List.of(entry.group(1).split(","));
    }

    /**
     * @return every sample of node's {@code /metrics}, keyed {@code name{labels}} as written, after checking the text
     *         format strictly enough for a scraper: each sample's family declared by {@code # TYPE} first, with a
     *         suffix its type allows, each series once; a histogram's buckets cumulative up to {@code +Inf}, which
     *         equals its {@code _count}.
     */
    private static Map<String, Double> scrape(final int node) throws Exception
    {
        final java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" +
                BROKERS[node].adminAddress().getPort() + "/metrics")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        final java.util.regex.Pattern type = java.util.regex.Pattern.compile(
            "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$");
        final java.util.regex.Pattern sample = java.util.regex.Pattern.compile(
            "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)$");
        final Map<String, String> types = new LinkedHashMap<>();
        final Map<String, Double> samples = new LinkedHashMap<>();
        double lastBucket = 0;
        String bucketFamily = null;
        for (final String line : response.body().split("\n"))
        {
            final java.util.regex.Matcher typed = type.matcher(line);
            if (typed.matches())
            {
                assertNull(types.put(typed.group(1), typed.group(2)), "declared twice: " + line);
                continue;
            }
            if (line.startsWith("#") || line.isEmpty())
            {
                continue;
            }
            final java.util.regex.Matcher matched = sample.matcher(line);
            assertTrue(matched.matches(), "not a sample: " + line);
            final String name = matched.group(1);
            final String family = familyOf(types, name);
            assertTrue(null != family, "no # TYPE before " + line);
            final double value = matched.group(3).equals("+Inf") ? Double.POSITIVE_INFINITY :
                matched.group(3).equals("NaN") ? Double.NaN : Double.parseDouble(matched.group(3));
            final String key = name + (null == matched.group(2) ? "" : matched.group(2));
            assertNull(samples.put(key, value), "series twice: " + line);
            if (name.endsWith("_bucket") && types.get(family).equals("histogram"))
            {
                final String series = family + (null == matched.group(2) ? "" :
                    matched.group(2).replaceAll(",?le=\"[^\"]*\"", ""));
                if (!series.equals(bucketFamily))
                {
                    bucketFamily = series;
                    lastBucket = 0;
                }
                assertTrue(value >= lastBucket, "buckets not cumulative: " + line);
                lastBucket = value;
            }
        }
        return samples;
    }

    private static String familyOf(final Map<String, String> types, final String name)
    {
        if (types.containsKey(name))
        {
            return name;
        }
        for (final String suffix : new String[] {"_total", "_created", "_bucket", "_count", "_sum", "_info"})
        {
            final String base = name.endsWith(suffix) ? name.substring(0, name.length() - suffix.length()) : null;
            if (null != base && types.containsKey(base))
            {
                return base;
            }
        }
        return null;
    }

    @Test
    @Order(3)
    @Timeout(60)
    void shouldRefuseOnOneNodeANameHeldOnAnother() throws Exception
    {
        try (Client erin = new Client(address(0), "erin"))
        {
            assertNull(erin.poll(300));
            for (final int node : new int[] {1, 2})
            {
                try (Client other = new Client(address(node), "erin"))
                {
                    assertEquals("error: name 'erin' is taken", other.read());
                    assertNull(other.read(), "the refused connection is closed");
                }
            }
        }
    }

    @Test
    @Order(4)
    @Timeout(60)
    void shouldGiveARacedNameToExactlyOneNode() throws Exception
    {
        final List<Client> racers = new ArrayList<>();
        try
        {
            for (int node = 0; node < 3; node++)
            {
                racers.add(new Client(address(node), "frank"));
            }
            int refused = 0;
            for (final Client racer : racers)
            {
                final String line = racer.poll(2000);
                if (null != line)
                {
                    assertEquals("error: name 'frank' is taken", line);
                    refused++;
                }
            }
            assertEquals(2, refused, "racers refused");
        }
        finally
        {
            for (final Client racer : racers)
            {
                racer.close();
            }
        }
    }

    @Test
    @Order(5)
    @Timeout(90)
    void shouldFreeTheNamesOfAKilledNodeWhileOthersLoseNothing() throws Exception
    {
        try (Client gina = new Client(address(0), "gina");
            Client hank = new Client(address(1), "hank");
            Client zed = new Client(address(2), "zed"))
        {
            Client.awaitRoutable(gina, "zed", zed);
            Client.awaitRoutable(gina, "hank", hank);

            final long killedNs = System.nanoTime();
            node2.destroyForcibly(); // SIGKILL: no goodbye to the directory
            assertTrue(node2.waitFor(10, TimeUnit.SECONDS));

            // Peers on the surviving nodes keep talking meanwhile, in order, nothing lost, nothing twice.
            int sent = 0;
            while (!named(address(1), "zed"))
            {
                for (int i = 0; i < 100; i++)
                {
                    gina.send("hank: g" + sent++);
                }
                assertTrue(System.nanoTime() - killedNs < TimeUnit.SECONDS.toNanos(30),
                    "zed was not freed within 30 s");
            }
            final long freedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs);
            System.out.println("ClusterBrokersTest: names of the killed node free again after " + freedMs +
                " ms (session timeout " + SESSION_TIMEOUT_MS + " ms); " + sent + " messages between the others");
            // The stated time: the session timeout, plus a leader election when the killed node led the directory.
            assertTrue(freedMs < SESSION_TIMEOUT_MS + 3000, "zed freed after " + freedMs + " ms");
            for (int i = 0; i < sent; i++)
            {
                assertEquals("from gina: g" + i, hank.read());
            }
            assertNull(hank.poll(200), "hank got more than was sent");
            // Node 0 hears of the release too (perhaps a moment after node 1): then zed is no peer, as on one node.
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            String reply;
            do
            {
                gina.send("zed: are you there");
                reply = gina.poll(200);
                assertTrue(System.nanoTime() - deadlineNs < 0, "no 'no peer' for zed");
            }
            while (null == reply);
            assertEquals("error: no peer 'zed'", reply);
        }
    }

    @Test
    @Order(6)
    @Timeout(60)
    void shouldDropItsPeersAndAdmitNoNameWhenANodeLosesTheDirectory() throws Exception
    {
        try (Client ivy = new Client(address(0), "ivy"))
        {
            assertNull(ivy.poll(300));
            // Node 2 is gone; stopping node 1 leaves node 0 alone, a minority: it cannot reach the directory. Node 1
            // closes on another thread: its close may last seconds (its consensus module, in an election, can wait for
            // its service, closed first, until interrupted), which is no part of how soon node 0 drops its peers.
            final Broker stopping = BROKERS[1];
            BROKERS[1] = null;
            final long stoppedNs = System.nanoTime();
            final CompletableFuture<Void> closed = CompletableFuture.runAsync(stopping::close);
            try
            {
                final String dropped = ivy.read();
                assertEquals("error: cluster unavailable", dropped);
                assertEquals(ErrorKind.CLUSTER_UNAVAILABLE, clientKind(dropped));
                assertNull(ivy.read(), "the dropped peer's connection is closed");
                final long droppedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedNs);
                // Before the directory could give the name away: within half the session timeout (plus a poll).
                assertTrue(droppedMs < SESSION_TIMEOUT_MS, "ivy dropped after " + droppedMs + " ms");
                try (Client late = new Client(address(0), "jack"))
                {
                    final String refused = late.read();
                    assertEquals("error: cluster unavailable", refused);
                    assertEquals(ErrorKind.CLUSTER_UNAVAILABLE, clientKind(refused));
                }
            }
            finally
            {
                closed.get(30, TimeUnit.SECONDS); // node 1 starts again in the next test, on the same ports
            }
        }
    }

    @Test
    @Order(7)
    @Timeout(90)
    void shouldJoinAgainByItselfOnceTheDirectoryIsBack() throws Exception
    {
        // Node 1 comes back (with an empty log: it catches up from node 0); node 0 finds the directory again. Should
        // the test before have failed before stopping node 1, stop it here: never two node 1s on the same ports.
        if (null != BROKERS[1])
        {
            BROKERS[1].close();
        }
        BROKERS[1] = Broker.launch(config(1));
        TestNodes.await(() -> BROKERS[0].clusterConnected() && BROKERS[1].clusterConnected(), 60_000,
            "nodes 0 and 1 join the directory again");
        try (Client kay = new Client(address(0), "kay");
            Client leo = new Client(address(1), "leo"))
        {
            Client.awaitRoutable(kay, "leo", leo);
            kay.send("leo: back again");
            assertEquals("from kay: back again", leo.read());
        }
    }

    /**
     * @return the kind the Java client's decoder gives {@code line} as the node sent it: {@link Client#read()} only
     * took off the line end, which the broker always sends as {@code \n}.
     */
    private static ErrorKind clientKind(final String line)
    {
        final byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        final ByteBuffer buffer = ByteBuffer.allocate(bytes.length).put(bytes);
        final List<ErrorKind> kinds = new ArrayList<>();
        final int decoded = new LineDecoder().decode(buffer, bytes.length, 0, new LineDecoder.Handler()
        {
            @Override
            public void onMessage(final ReceivedMessage message)
            {
                throw new AssertionError("a message: " + line);
            }

            @Override
            public void onError(final ErrorReply error)
            {
                kinds.add(error.kind());
            }

            @Override
            public void onMalformedLine(final ByteBuffer buffer, final int start, final int end)
            {
                throw new AssertionError("malformed: " + line);
            }
        });
        assertEquals(bytes.length, decoded);
        assertEquals(1, kinds.size(), line);
        return kinds.get(0);
    }
}
