/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.transport.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every line the broker can send, in Protocol's own words, decodes to its type; lines split anywhere across reads
 * decode the same.
 */
class LineDecoderTest
{
    private static String decodeAll(final String input, final int splitAt)
    {
        final List<String> events = new ArrayList<>();
        final LineDecoder.Handler handler = new LineDecoder.Handler()
        {
            @Override
            public void onMessage(final ReceivedMessage message)
            {
                events.add("message " + message.senderAsString() + "|" + message.textAsString());
            }

            @Override
            public void onError(final ErrorReply error)
            {
                events.add(error.kind() + "|" + error.subjectAsString() + "|" + error.limit());
            }

            @Override
            public void onMalformedLine(final ByteBuffer buffer, final int start, final int end)
            {
                events.add("malformed " + ReceivedMessage.string(buffer, start, end - start));
            }
        };
        final byte[] bytes = input.getBytes(StandardCharsets.UTF_8);
        final ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        final LineDecoder decoder = new LineDecoder();
        int scan = 0;
        for (final int[] part : new int[][]{{0, splitAt}, {splitAt, bytes.length}})
        {
            buffer.put(bytes, part[0], part[1] - part[0]);
            final int limit = buffer.position();
            final int consumed = decoder.decode(buffer, limit, scan, handler);
            buffer.limit(limit).position(consumed);
            buffer.compact();
            scan = buffer.position();
        }
        return String.join("\n", events);
    }

    @Test
    @Timeout(10)
    void shouldTypeEveryReplyTheBrokerSends()
    {
        final String input = String.join("\n",
            "from bob: hi: there",
            Protocol.NO_PEER_PREFIX + "carol" + Protocol.NO_PEER_SUFFIX,
            Protocol.BAD_LINE,
            Protocol.CONTROL_IN_LINE,
            Protocol.tooManyDestinations(1024),
            Protocol.lineTooLong(65536),
            Protocol.invalidName(Protocol.NameError.COMMA, 64),
            Protocol.NAME_TAKEN_PREFIX + "alice" + Protocol.NAME_TAKEN_SUFFIX,
            Protocol.NOT_AUTHORIZED,
            Protocol.BUSY,
            Protocol.nameTimeout(10000),
            Protocol.partialLineTimeout(30000),
            Protocol.idleTimeout(5000),
            Protocol.SLOW_CONSUMER,
            Protocol.TOO_MANY_CONNECTIONS,
            Protocol.TOO_MANY_FROM_ADDRESS,
            Protocol.SERVER_OUT_OF_MEMORY,
            Protocol.CLUSTER_UNAVAILABLE,
            "error: something new",
            "hello?\r") + "\r\n";
        final String expected = String.join("\n",
            "message bob|hi: there",
            "NO_SUCH_PEER|carol|-1",
            "BAD_LINE|" + Protocol.BAD_LINE + "|-1",
            "CONTROL_CHARACTER|" + Protocol.CONTROL_IN_LINE + "|-1",
            "TOO_MANY_DESTINATIONS|" + Protocol.tooManyDestinations(1024) + "|1024",
            "LINE_TOO_LONG|" + Protocol.lineTooLong(65536) + "|65536",
            "INVALID_NAME|contains ','|-1",
            "NAME_TAKEN|alice|-1",
            "NOT_AUTHORIZED|" + Protocol.NOT_AUTHORIZED + "|-1",
            "BUSY|" + Protocol.BUSY + "|-1",
            "NAME_TIMEOUT|" + Protocol.nameTimeout(10000) + "|10000",
            "PARTIAL_LINE_TIMEOUT|" + Protocol.partialLineTimeout(30000) + "|30000",
            "IDLE_TIMEOUT|" + Protocol.idleTimeout(5000) + "|5000",
            "SLOW_CONSUMER|" + Protocol.SLOW_CONSUMER + "|-1",
            "TOO_MANY_CONNECTIONS|" + Protocol.TOO_MANY_CONNECTIONS + "|-1",
            "TOO_MANY_FROM_ADDRESS|" + Protocol.TOO_MANY_FROM_ADDRESS + "|-1",
            "SERVER_OUT_OF_MEMORY|" + Protocol.SERVER_OUT_OF_MEMORY + "|-1",
            "CLUSTER_UNAVAILABLE|" + Protocol.CLUSTER_UNAVAILABLE + "|-1",
            "UNKNOWN|error: something new|-1",
            "malformed hello?\r");
        for (int split = 0; split <= input.length(); split += 7)
        {
            assertEquals(expected, decodeAll(input, split), "split at " + split);
        }
    }
}
