/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code --nodes} against two separate single-node brokers, which share nothing: who connects where follows the
 * spread (each broker's accepted connections show it), and a workload whose messages cross nodes cannot register
 * there. Delivery across nodes is {@link LoadGenClusterTest}'s.
 */
class LoadGenNodesTest
{
    private final Broker[] brokers = new Broker[2];

    @BeforeEach
    void launchBrokers() throws Exception
    {
        for (int i = 0; i < brokers.length; i++)
        {
            brokers[i] = Broker.launch(new BrokerConfig().port(0).adminPort(0));
        }
    }

    @AfterEach
    void closeBrokers()
    {
        for (final Broker broker : brokers)
        {
            if (null != broker)
            {
                broker.close();
            }
        }
    }

    private List<String> nodes()
    {
        return List.of("127.0.0.1:" + brokers[0].localAddress().getPort(),
            "127.0.0.1:" + brokers[1].localAddress().getPort());
    }

    private long accepted(final int node) throws Exception
    {
        return BrokerMetrics.value(brokers[node], "tern_connections_accepted_total");
    }

    @Test
    @Timeout(30)
    void shouldSpreadIdlePeersRoundRobinOverTheNodes() throws Exception
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final LoadGenResult result = LoadGen.run(LoadGenOptions.parse("--workload", "none", "--idle-peers", "5",
            "--duration", "100ms", "--quiet", "--name-prefix", "lgn-idle-", "--nodes", String.join(",", nodes())),
            new PrintStream(out, true, StandardCharsets.UTF_8));
        final String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(LoadGen.EXIT_OK, result.exitCode(), text);
        assertEquals(3, accepted(0), text);
        assertEquals(2, accepted(1), text);
        assertTrue(text.contains("nodes       2: " + String.join(", ", nodes())), text);
        assertTrue(text.contains("; idle peer i on node i mod 2"), text);
    }

    @Test
    @Timeout(30)
    void shouldPutEachPairsReceiverOnTheNodeAfterItsSendersAndFailToRegisterAcrossUnjoinedBrokers() throws Exception
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final LoadGenResult result = LoadGen.run(LoadGenOptions.parse("--pairs", "3", "--load", "ping-pong",
            "--connect-timeout", "500ms", "--quiet", "--name-prefix", "lgn-pairs-", "--nodes",
            String.join(",", nodes())), new PrintStream(out, true, StandardCharsets.UTF_8));
        final String text = out.toString(StandardCharsets.UTF_8);
        // Sender i on node i mod 2, receiver i on node (i+1) mod 2: node 0 has s0, s2, r1; node 1 has s1, r0, r2.
        assertEquals(LoadGen.EXIT_CONNECT, result.exitCode(), text);
        assertTrue(result.failure().contains("registration timed out"), result.failure());
        assertEquals(3, accepted(0), text);
        assertEquals(3, accepted(1), text);
        assertTrue(text.contains("spread      sender i on node i mod 2, its receiver on node (i+1) mod 2"), text);
    }
}
