/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class LineArenaTest
{
    private static ByteBuffer line(final int length, final byte fill)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(length);
        for (int i = 0; i < length; i++)
        {
            buffer.put(i, fill);
        }
        return buffer;
    }

    @Test
    void shouldStoreLinesContiguouslyAndWrapToTheStart()
    {
        final LineArena arena = new LineArena(256);
        assertTrue(arena.tryAppend(line(100, (byte)'a'), 0, 100));
        assertEquals(0, arena.lastOffset());
        assertTrue(arena.tryAppend(line(100, (byte)'b'), 0, 100));
        assertEquals(100, arena.lastOffset());

        // 100 more would run past the end: it must not fit until the first line is released...
        assertFalse(arena.tryAppend(line(100, (byte)'c'), 0, 100));
        arena.releaseTo(100);
        // ...and then it starts again at offset 0, whole.
        assertTrue(arena.tryAppend(line(100, (byte)'c'), 0, 100));
        assertEquals(0, arena.lastOffset());
        for (int i = 0; i < 100; i++)
        {
            assertEquals('c', arena.buffer().getByte(i));
            assertEquals('b', arena.buffer().getByte(100 + i));
        }
        assertEquals(356, arena.lastEndPosition(), "the skipped tail counts as used until released");
    }

    @Test
    void shouldNeverHandOutBytesTheBrokerHasNotReleased()
    {
        final LineArena arena = new LineArena(1024);
        long released = 0;
        int appended = 0;
        for (int i = 0; i < 10_000; i++)
        {
            final int length = (i * 37) % 300;
            if (!arena.tryAppend(line(length, (byte)i), 0, length))
            {
                released = arena.lastEndPosition();
                arena.releaseTo(released);
                assertTrue(arena.tryAppend(line(length, (byte)i), 0, length));
            }
            appended++;
            assertTrue(arena.usedBytes() <= 1024, "used " + arena.usedBytes());
            assertTrue(arena.lastOffset() + length <= 1024);
        }
        assertEquals(10_000, appended);
    }

    @Test
    void shouldClaimFreeSpaceAfterTheLinesOrFromTheStartWhenTheTailIsTooShort()
    {
        final LineArena arena = new LineArena(256);
        assertEquals(64, arena.tryClaim(64, 64));
        assertEquals(0, arena.claimOffset());
        assertEquals(50, arena.commit(50), "a line of 49 bytes and its newline");
        assertEquals(50, arena.appendPosition());

        // Claiming is not committing: the same space is offered again.
        assertEquals(206, arena.tryClaim(10, 1000));
        assertEquals(50, arena.claimOffset());
        assertEquals(200, arena.commit(200));

        // 56 bytes are left at the end, 50 at the start once released: the tail is taken while it is the larger...
        assertEquals(56, arena.tryClaim(40, 100));
        assertEquals(200, arena.claimOffset());
        arena.releaseTo(100);
        // ...and skipped for the start when only the start holds a whole read.
        assertEquals(100, arena.tryClaim(60, 100));
        assertEquals(0, arena.claimOffset());
        assertEquals(256 + 30, arena.commit(30), "the skipped tail counts as used until released");
        assertEquals(286 - 100, arena.usedBytes());

        // Full: nothing free in one piece of the size asked for until the broker catches up.
        assertEquals(0, arena.tryClaim(71, 100));
        assertEquals(70, arena.tryClaim(70, 100));
        assertEquals(30, arena.claimOffset());
        arena.releaseTo(286);
        assertEquals(226, arena.tryClaim(1, 1000), "empty: the longer of the tail and the start");
        assertEquals(30, arena.claimOffset());
    }
}
