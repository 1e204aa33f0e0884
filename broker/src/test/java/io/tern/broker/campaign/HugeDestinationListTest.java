/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.tern.broker.BrokerConfig;
import io.tern.broker.LineClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Huge destination lists. One line of {@code v,v,v,...: x} within max-line-bytes names a peer ~30,000 times; when
 * every listing got a copy, that was megabytes of output from 60 KB of input, and the victim was cut as a slow
 * consumer although it read as fast as it could: any client could disconnect any other with one line. Now a line
 * naming more than max-destinations names is refused whole (docs/protocol.md rule 4), and a name listed many times within the
 * limit gets the line once. Asserted here: the victim stays connected and gets nothing or one copy, nobody is cut,
 * and the bystanders' round trips stay within the flood bound.
 */
class HugeDestinationListTest extends CampaignSupport
{
    private static String hugeListLine(final String name)
    {
        final StringBuilder line = new StringBuilder(65536);
        while (line.length() + name.length() + 1 + ": x".length() <= 65536)
        {
            line.append(name).append(',');
        }
        return line.append(": x\n").toString();
    }

    @Test
    @Timeout(60)
    void shouldRefuseAHugeDestinationListWholeAndCutNobody() throws Exception
    {
        startBroker(new BrokerConfig().maxQueuedBytesPerPeer(256 * 1024));
        final PingPong bystanders = new PingPong(register("ping"), register("pong")).start(executor);
        final LineClient victim = register("v", 4096);
        final String attackerName = "a".repeat(64); // the longest name: the largest copies, were they made
        final LineClient attacker = register(attackerName, 4096);

        attacker.sendRaw(hugeListLine("v").getBytes(StandardCharsets.US_ASCII));
        attacker.expectLine("error: too many destinations (max 1024)");
        assertNextLineIsProbe(victim, attacker); // nothing of the refused line reached the victim
        assertNextLineIsProbe(attacker, victim); // and both are still connected

        final long[] rtts = bystanders.measure(() -> true, 200, Duration.ofSeconds(20));
        bystanders.stop();
        assertEquals(0, broker.slowConsumerDisconnects(), "nobody is cut");
        assertTrue(PingPong.percentileMs(rtts, 100) < FloodTest.MAX_BOUND_MS, PingPong.describe(rtts));
        assertBrokerHealthy("after a huge destination list");
    }

    @Test
    @Timeout(60)
    void shouldDeliverOneCopyToANameListedThirtyThousandTimes() throws Exception
    {
        // A limit raised past the line's 32,767 listings: the line is routed, and the victim, whose bound 32,767
        // copies would pass, gets it once.
        startBroker(new BrokerConfig().maxQueuedBytesPerPeer(256 * 1024).maxDestinations(40_000));
        final LineClient victim = register("v", 4096);
        final LineClient sender = register("s");
        sender.sendRaw(hugeListLine("v").getBytes(StandardCharsets.US_ASCII));
        victim.expectLine("from s: x");
        assertNextLineIsProbe(victim, sender);
        assertNextLineIsProbe(sender, sender); // no error for the repeats

        sender.send("v, ".repeat(1_999) + "v: once per line \u00ff\t\u4f60");
        victim.expectLine("from s: once per line \u00ff\t\u4f60");
        assertNextLineIsProbe(victim, sender);
        // With a NUL or a lone CR the line is refused whole, however many times it names the victim.
        sender.send("v, ".repeat(1_999) + "v: once per line \u0000\u00ff\r lone CR");
        sender.expectLine("error: control character in line");
        assertNextLineIsProbe(victim, sender);
        assertEquals(0, broker.slowConsumerDisconnects());
        assertBrokerHealthy("after a long destination list");
    }
}
