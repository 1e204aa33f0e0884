/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import io.tern.loadgen.client.FanoutPublish;
import io.tern.loadgen.client.Target;
import io.tern.loadgen.workload.LoadModel;
import io.tern.loadgen.workload.WorkloadKind;
import io.tern.transport.BuildInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class LoadGenOptionsTest
{
    @Test
    void shouldDefaultToTenPairsOpenLoopAgainstLocalPort8080()
    {
        final LoadGenOptions options = LoadGenOptions.parse();
        assertEquals("127.0.0.1", options.host());
        assertEquals(8080, options.port());
        assertEquals(WorkloadKind.PAIRS, options.workloadKind());
        assertEquals(LoadModel.OPEN, options.loadModel());
        assertEquals(10_000, options.ratePerSecond());
        assertEquals(20, options.workloadTopology().peerCount());
        assertEquals(2_000_000_000L, options.warmupNs());
        assertEquals(10_000_000_000L, options.durationNs());
        assertEquals(0, options.spinNs());
        assertEquals("pairs-open", options.label());
        assertNull(options.outDir());
        assertFalse(options.allowErrors());
    }

    @Test
    void shouldParseDurationsWithUnits()
    {
        assertEquals(0, LoadGenOptions.DurationConverter.parseDurationNs("0"));
        assertEquals(250, LoadGenOptions.DurationConverter.parseDurationNs("250ns"));
        assertEquals(100_000, LoadGenOptions.DurationConverter.parseDurationNs("100us"));
        assertEquals(500_000_000, LoadGenOptions.DurationConverter.parseDurationNs("500ms"));
        assertEquals(1_500_000_000, LoadGenOptions.DurationConverter.parseDurationNs("1.5s"));
        assertEquals(120_000_000_000L, LoadGenOptions.DurationConverter.parseDurationNs("2m"));
        assertEquals(-1, LoadGenOptions.DurationConverter.parseDurationNs("10"));
        assertEquals(-1, LoadGenOptions.DurationConverter.parseDurationNs("-1s"));
        assertEquals(-1, LoadGenOptions.DurationConverter.parseDurationNs("fast"));
    }

    @Test
    void shouldDriveTernUnlessTargetSaysOtherwise()
    {
        assertEquals(Target.TERN, LoadGenOptions.parse().target());
        final LoadGenOptions nats = LoadGenOptions.parse("--target", "nats", "--port", "4222");
        assertEquals(Target.NATS, nats.target());
        assertEquals("pairs-open-nats", nats.label());
        assertEquals(FanoutPublish.SHARED, nats.fanoutPublish());
        assertEquals(Target.REDIS, LoadGenOptions.parse("--target", "REDIS").target());
        assertEquals(FanoutPublish.PER_RECEIVER,
            LoadGenOptions.parse("--fanout-publish", "per-receiver").fanoutPublish());
    }

    @Test
    void shouldTreatPingPongAsOneInFlight()
    {
        assertEquals(1, LoadGenOptions.parse("--load", "ping-pong", "--in-flight", "50").inFlightPerSender());
        assertEquals(50, LoadGenOptions.parse("--load", "max", "--in-flight", "50").inFlightPerSender());
    }

    @Test
    void shouldExitWithUsageErrorNamingTheBadSetting()
    {
        assertUsageError("--rate=0", "--rate", "0");
        assertUsageError("--client-threads=3", "--client-threads", "3");
        assertUsageError("--client-threads=1", "--client-threads", "1", "--load", "open");
        assertUsageError("--workload=star", "--workload", "star");
        assertUsageError("--load=closed", "--load", "closed");
        assertUsageError("--duration=10", "--duration", "10");
        assertUsageError("--message-bytes=10", "--message-bytes", "10");
        assertUsageError("--name-prefix=a:b", "--name-prefix", "a:b");
        assertUsageError("--peers=1", "--workload", "mesh", "--peers", "1");
        assertUsageError("--port=70000", "--port", "70000");
        assertUsageError("--peers=3000: a mesh of P peers tracks P x P streams", "--workload", "mesh", "--peers", "3000");
        assertUsageError("Unknown option: '--bogus'", "--bogus");
        assertUsageError("--target=kafka: must be one of tern, nats, redis", "--target", "kafka");
        assertUsageError("--fanout-publish=all", "--fanout-publish", "all");
        assertUsageError("--name-prefix=a.b", "--target", "nats", "--name-prefix", "a.b");
        assertUsageError("Invalid value for option '--pairs'", "--pairs", "many");
        assertUsageError("--idle-peers=0: --workload none needs idle peers", "--workload", "none");
        assertUsageError("--idle-peers=-1", "--idle-peers", "-1");
        assertUsageError("--message-bytes=64513", "--message-bytes", "64513");
        assertUsageError("--nodes=a:1,b:2: replaces --host and --port", "--nodes", "a:1,b:2", "--port", "1");
        assertUsageError("--nodes=a:1,b:2: replaces --host and --port", "--host", "a", "--nodes", "a:1,b:2");
        assertUsageError("--nodes=a:1,b: 'b' is not host:port", "--nodes", "a:1,b");
        assertUsageError("--nodes=a:1,b:0: 'b:0' is not host:port", "--nodes", "a:1,b:0");
        assertUsageError("--nodes=a:1,:2: ':2' is not host:port", "--nodes", "a:1,:2");
        assertUsageError("--nodes=a:1,a:1: 'a:1' is listed twice", "--nodes", "a:1,a:1");
        assertUsageError("--nodes=a:1,b:2: with --tls every node must have the same host", "--tls", "--nodes",
            "a:1,b:2");
    }

    @Test
    @Timeout(10)
    void shouldTakeANodeListOrHostAndPortAsAListOfOne()
    {
        final LoadGenOptions one = LoadGenOptions.parse("--host", "10.0.0.1", "--port", "4222");
        assertEquals(1, one.nodeCount());
        assertEquals("10.0.0.1", one.nodeHost(0));
        assertEquals(4222, one.nodePort(0));
        assertEquals("10.0.0.1:4222", one.nodesText());
        assertTrue(one.describe().startsWith("broker      10.0.0.1:4222, "), one.describe());
        assertFalse(one.describe().contains("spread"), one.describe());

        final LoadGenOptions three = LoadGenOptions.parse("--nodes", "127.0.0.1:36301,127.0.0.1:36302",
            "--nodes", "[::1]:36303", "--pairs", "2");
        assertEquals(3, three.nodeCount());
        assertEquals("::1", three.nodeHost(2));
        assertEquals(36302, three.nodePort(1));
        assertEquals("127.0.0.1:36301, 127.0.0.1:36302, [::1]:36303", three.nodesText());
        assertTrue(three.describe().startsWith("nodes       3: 127.0.0.1:36301, 127.0.0.1:36302, [::1]:36303, "),
            three.describe());
        assertTrue(three.describe().contains("spread      sender i on node i mod 3, its receiver on node (i+1) " +
            "mod 3: every message crosses nodes; peers per node 1, 2, 1"), three.describe());

        final LoadGenOptions listOfOne = LoadGenOptions.parse("--nodes", "h:5");
        assertEquals(1, listOfOne.nodeCount());
        assertEquals("h:5", listOfOne.nodesText());
        assertEquals(LoadGenOptions.parse("--host", "h", "--port", "5").describe(), listOfOne.describe());
    }

    @Test
    void shouldNameIdlePeersApartFromTheWorkloadsAndAllowSixtyThousandBytePayloads()
    {
        final LoadGenOptions options = LoadGenOptions.parse("--idle-peers", "19000", "--name-prefix", "x-",
            "--message-bytes", "60000");
        assertEquals(19_000, options.idlePeers());
        assertEquals("x-idle-", options.idleNamePrefix());
        assertEquals(60_000, options.messageBytes());
        // Workload names are the prefix and digits only: an idle name never parses as one of the workload's peers.
        final String idleName = options.idleNamePrefix() + "3";
        final java.nio.ByteBuffer name = java.nio.ByteBuffer.wrap(idleName.getBytes(StandardCharsets.US_ASCII));
        assertEquals(-1, options.workloadTopology().peerOfName(name, 0, name.limit()));

        final LoadGenOptions none = LoadGenOptions.parse("--workload", "none", "--idle-peers", "10", "--target",
            "nats");
        assertEquals(WorkloadKind.NONE, none.workloadKind());
        assertNull(none.workloadTopology());
        assertEquals("idle-nats", none.label());
        assertTrue(none.describe().contains("workload    none"), none.describe());
    }

    @Test
    void shouldCheckTheTlsFilesAndNameTlsRunsApart(@TempDir final Path dir) throws Exception
    {
        final Path ca = Files.writeString(dir.resolve("ca.pem"), "not read before the run");
        final LoadGenOptions plain = LoadGenOptions.parse("--target", "redis");
        assertFalse(plain.tls());
        assertFalse(plain.describe().contains("tls "), plain.describe());

        final LoadGenOptions tls = LoadGenOptions.parse("--target", "redis", "--tls", "--tls-ca", ca.toString());
        assertTrue(tls.tls());
        assertEquals(ca, tls.tlsCa());
        assertEquals("pairs-open-redis-tls", tls.label());
        assertTrue(tls.describe().contains("tls         on: trust " + ca), tls.describe());
        assertEquals("pairs-ping-pong-tls", LoadGenOptions.parse("--tls", "--load", "ping-pong").label());

        assertUsageError("--tls-ca=" + ca + ": needs --tls", "--tls-ca", ca.toString());
        assertUsageError("--tls-cert=" + ca + ": needs --tls-key", "--tls", "--tls-cert", ca.toString());
        assertUsageError("--tls-key=" + ca + ": needs --tls-cert", "--tls", "--tls-key", ca.toString());
        final String missing = dir.resolve("missing.pem").toString();
        assertUsageError("--tls-ca=" + missing + ": no such readable file", "--tls", "--tls-ca", missing);
        assertUsageError("--idle-peers=5: idle peers connect over plain TCP only", "--tls", "--idle-peers", "5");
    }

    @Test
    @Timeout(10)
    void shouldPrintTheVersionAndCommitOfTheBuild()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, LoadGenMain.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), "--version"));
        assertEquals("tern-loadgen " + BuildInfo.version() + " (" + BuildInfo.commit() + ")\n",
            out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldListEveryOptionWithItsDefaultInHelp()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, LoadGenMain.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), "--help"));
        final String help = out.toString(StandardCharsets.UTF_8);

        for (final OptionSpec option : new CommandLine(new LoadGenMain()).getCommandSpec().options())
        {
            assertTrue(help.contains(option.longestName()), option.longestName() + " missing from help");
            if (option.usageHelp() || option.versionHelp())
            {
                continue;
            }
            final String description = String.join(" ", option.description());
            if (null != option.defaultValue() && !option.type().equals(boolean.class))
            {
                assertTrue(help.contains("Default: " + option.defaultValue()), option.longestName() + " default");
            }
            else
            {
                assertTrue(description.contains("(default: "), option.longestName() + " names its default");
            }
        }
        assertTrue(help.contains("plot"), "subcommand listed");
        assertTrue(help.contains("compare"), "subcommand listed");
    }

    private static void assertUsageError(final String expected, final String... args)
    {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int exitCode = LoadGenMain.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), args);
        final String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(LoadGen.EXIT_USAGE, exitCode, text);
        assertTrue(text.contains(expected), "expected '" + expected + "' in: " + text);
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing was run");
    }
}
