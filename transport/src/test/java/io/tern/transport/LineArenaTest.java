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

    @Test
    void shouldClaimAgainFromWithinTheLastClaimNeverPastTheEndNorOverUnreleasedBytes()
    {
        final LineArena arena = new LineArena(256);
        arena.releaseTo(0);
        assertEquals(64, arena.tryClaim(64, 64));
        assertEquals(40, arena.commit(40), "a line; the 24 bytes after it are a line still open");

        // Read again behind the open line: claimed from where it starts, as far as wanted and free.
        assertEquals(100, arena.tryClaimFrom(40, 30, 100));
        assertEquals(40, arena.claimOffset());
        assertEquals(120, arena.commit(120), "positions carry on from the first claim");

        // At most to the end of the arena, never wrapped: too little there is no claim, and the last one stands.
        assertEquals(0, arena.tryClaimFrom(120, 137, 200));
        assertEquals(40, arena.claimOffset());
        assertEquals(136, arena.tryClaimFrom(120, 136, 200));
        assertEquals(120, arena.claimOffset());
        assertEquals(250, arena.commit(250));

        // Wrapped and behind the broker: only released bytes are claimed.
        arena.releaseTo(200);
        assertEquals(200, arena.tryClaim(100, 200));
        assertEquals(0, arena.claimOffset());
        assertEquals(256 + 10, arena.commit(10));
        assertEquals(0, arena.tryClaimFrom(10, 191, 250));
        assertEquals(190, arena.tryClaimFrom(10, 190, 250), "up to the unreleased line at 200");
    }
}
