/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.tern.broker.BrokerConfig;
import io.tern.broker.LineClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Huge destination lists. The protocol gives every listed destination a copy, twice if listed twice (README rule 4),
 * so one line of {@code v,v,v,...: x} within max-line-bytes asks for ~30,000 copies, megabytes of output from 60 KB
 * of input. What is right, and asserted here: the broker does not wait and does not grow memory: the recipient's
 * bounded ring decides, and a recipient that cannot take the copies is cut as a slow consumer like any other; after
 * the cut the rest of the list names a peer that is no longer connected, so the attacker is sent
 * {@code error: no peer 'v'} for each, and an attacker that does not read those is cut too. Everyone else carries on.
 */
class HugeDestinationListTest extends CampaignSupport
{
    @Test
    @Timeout(60)
    void shouldCutTheVictimAndTheAttackerOfAHugeDestinationListAndNobodyElse() throws Exception
    {
        // The list's 2.4 MB of copies must pass the victim's bound: the default (16 MiB) would take them all.
        startBroker(new BrokerConfig().maxQueuedBytesPerPeer(256 * 1024));
        final PingPong bystanders = new PingPong(register("ping"), register("pong")).start(executor);
        final LineClient victim = register("v", 4096);
        final String attackerName = "a".repeat(64); // the longest name: the largest copies
        final LineClient attacker = register(attackerName, 4096);

        final StringBuilder line = new StringBuilder(65536);
        int copies = 0;
        while (line.length() + 2 + ": x".length() <= 65536)
        {
            line.append("v,");
            copies++;
        }
        line.append(": x\n");
        attacker.sendRaw(line.toString().getBytes(StandardCharsets.US_ASCII));

        awaitCondition("the victim and the attacker to be cut", Duration.ofSeconds(20),
            () -> broker.slowConsumerDisconnects() == 2);
        final List<String> toVictim = victim.awaitClosed(Duration.ofSeconds(20));
        final List<String> toAttacker = attacker.awaitClosed(Duration.ofSeconds(20));
        assertTrue(toVictim.size() < copies, "the victim got all " + copies + " copies");
        for (int i = 0; i < toVictim.size(); i++)
        {
            final String expected = i == toVictim.size() - 1 && toVictim.get(i).startsWith("error") ?
                "error: slow consumer" : "from " + attackerName + ": x";
            assertEquals(expected, toVictim.get(i), "victim line " + i);
        }
        for (int i = 0; i < toAttacker.size(); i++)
        {
            final String expected = i == toAttacker.size() - 1 && toAttacker.get(i).equals("error: slow consumer") ?
                "error: slow consumer" : "error: no peer 'v'";
            assertEquals(expected, toAttacker.get(i), "attacker line " + i);
        }
        System.out.println("HugeDestinationList: " + copies + " copies asked for; victim got " + toVictim.size() +
            " lines, attacker got " + toAttacker.size() + " lines; both cut");

        final long[] rtts = bystanders.measure(() -> true, 200, Duration.ofSeconds(20));
        bystanders.stop();
        assertEquals(2, broker.slowConsumerDisconnects(), "only the victim and the attacker are cut");
        registerRetrying("v", Duration.ofSeconds(10));
        registerRetrying(attackerName, Duration.ofSeconds(10));
        assertTrue(PingPong.percentileMs(rtts, 100) < FloodTest.MAX_BOUND_MS, PingPong.describe(rtts));
        assertBrokerHealthy("after a huge destination list");
    }

    @Test
    @Timeout(60)
    void shouldDeliverOneCopyPerListedDestinationToAReader() throws Exception
    {
        startBroker(new BrokerConfig());
        final LineClient reader = register("r");
        final LineClient sender = register("s");
        final int copies = 2_000; // about 28 KB of copies: well within the reader's ring
        sender.send("r, ".repeat(copies - 1) + "r: once per listing \u0000\u00ff\r lone CR");
        for (int i = 0; i < copies; i++)
        {
            reader.expectLine("from s: once per listing \u0000\u00ff\r lone CR");
        }
        assertNextLineIsProbe(reader, sender);
        assertNextLineIsProbe(sender, sender);
        assertEquals(0, broker.slowConsumerDisconnects());
        assertBrokerHealthy("after a long destination list");
    }
}
