/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bounds: a peer whose outbound ring fills because it does not read is cut off as a slow consumer, and counted, while
 * every other peer carries on undisturbed.
 */
class BrokerSlowConsumerTest extends BrokerTestSupport
{
    private static final int MAX_LINE_BYTES = 1024;
    private static final int MAX_QUEUED_BYTES = 65536;
    private static final int ROUNDS_AFTER_DISCONNECT = 200;
    private static final String SLOW_CONSUMER = "error: slow consumer";

    @Test
    @Timeout(60)
    void shouldDisconnectAPeerThatStopsReadingWhileOthersCarryOn() throws Exception
    {
        startBroker(new BrokerConfig().maxLineBytes(MAX_LINE_BYTES).maxQueuedBytesPerPeer(MAX_QUEUED_BYTES));
        final LineClient slow = register("slow", 4096); // and from now on it never reads
        final LineClient flood = register("flood");
        final LineClient ping = register("ping");
        final LineClient pong = register("pong");
        assertEquals(0, broker.slowConsumerDisconnects());

        // The flooder reads its own input too (errors once "slow" is gone), so that it is never a slow consumer.
        final Future<Integer> floodReader = executor.submit(() ->
        {
            int noPeerErrors = 0;
            while (true)
            {
                final String line = flood.readLine();
                if (line.equals("from flood: done"))
                {
                    return noPeerErrors;
                }
                assertEquals("error: no peer 'slow'", line, "the flooder got an unexpected line");
                noPeerErrors++;
            }
        });

        // Between flood batches an unrelated pair does a request/response round: every message of theirs must
        // arrive, in order and in time, while "slow" backs up and after it is cut off.
        final String padding = "x".repeat(900);
        final long deadlineNs = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long sent = 0;
        int round = 0;
        while (broker.slowConsumerDisconnects() == 0)
        {
            final StringBuilder batch = new StringBuilder(16 * 920);
            for (int i = 0; i < 16; i++)
            {
                batch.append("slow: ").append(sent++).append(' ').append(padding).append('\n');
            }
            flood.sendRaw(batch.toString().getBytes(StandardCharsets.US_ASCII));
            pingPong(ping, pong, round++);
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("no slow-consumer disconnect after " + sent + " lines (" + sent * 910 / 1024 + " KiB) to 'slow'");
            }
        }
        final int roundsBefore = round;
        flood.send("flood: done");
        for (int i = 0; i < ROUNDS_AFTER_DISCONNECT; i++)
        {
            pingPong(ping, pong, round++);
        }

        // What "slow" received is a prefix of what was sent to it, in order, then perhaps the error, then the close.
        final List<String> received = slow.awaitClosed(Duration.ofSeconds(20));
        for (int i = 0; i < received.size(); i++)
        {
            final String line = received.get(i);
            if (line.equals(SLOW_CONSUMER))
            {
                assertEquals(received.size() - 1, i, "'" + SLOW_CONSUMER + "' must be the last line");
            }
            else
            {
                assertEquals("from flood: " + i + " " + padding, line, "line " + i + " received by the slow consumer");
            }
        }
        final String fragment = slow.trailingFragment();
        assertTrue(fragment.isEmpty() || SLOW_CONSUMER.startsWith(fragment) ||
            ("from flood: " + received.size() + " " + padding).startsWith(fragment),
            "the slow consumer's stream ended inside a line that is neither a message nor the error: " + fragment);

        final int noPeerErrors = join(floodReader, Duration.ofSeconds(30), "the flooder's reader");
        assertEquals(1, broker.slowConsumerDisconnects(), "only 'slow' is a slow consumer");
        assertNextLineIsProbe(flood, ping);

        // The name is free again, and the new holder gets nothing that was queued for the old one.
        final LineClient reborn = registerRetrying("slow", Duration.ofSeconds(10));
        assertNextLineIsProbe(reborn, flood);

        System.out.printf("slow consumer cut off after %,d lines (%,d received, last: %s); pair: %d rounds, %d before" +
            " the cut-off; flooder: %d 'no peer' errors%n", sent, received.size(),
            received.isEmpty() ? "-" : abbreviate(received.get(received.size() - 1)), round, roundsBefore,
            noPeerErrors);
    }

    @Test
    @Timeout(60)
    void shouldKeepStreamingToAPeerThatKeepsUpAndNotCountItAsSlow() throws Exception
    {
        startBroker(new BrokerConfig().maxLineBytes(MAX_LINE_BYTES).maxQueuedBytesPerPeer(MAX_QUEUED_BYTES));
        final LineClient reader = register("reader", 4096);
        final LineClient writer = register("writer");
        final String padding = "y".repeat(900);
        final int linesPerWindow = 32; // ~29 KiB in flight at most: half the ring

        // ~1.8 MB in all, many times the ring, but never more than a window ahead of the reader.
        for (int window = 0; window < 64; window++)
        {
            final StringBuilder batch = new StringBuilder();
            for (int i = 0; i < linesPerWindow; i++)
            {
                batch.append("reader: ").append(window).append('.').append(i).append(' ').append(padding).append('\n');
            }
            writer.sendRaw(batch.toString().getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < linesPerWindow; i++)
            {
                reader.expectLine("from writer: " + window + "." + i + " " + padding);
            }
        }

        assertEquals(0, broker.slowConsumerDisconnects());
        assertNextLineIsProbe(reader, writer);
    }

    private static void pingPong(final LineClient ping, final LineClient pong, final int round) throws Exception
    {
        ping.send("pong: ping " + round);
        pong.expectLine("from ping: ping " + round);
        pong.send("ping: pong " + round);
        ping.expectLine("from pong: pong " + round);
    }

    private static String abbreviate(final String line)
    {
        return line.length() <= 40 ? line : line.substring(0, 40) + "...";
    }
}
