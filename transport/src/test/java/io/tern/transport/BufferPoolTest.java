/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class BufferPoolTest
{
    @Test
    void shouldHandOutPowersOfTwoFrom256UpToTheLargestSizeExactly()
    {
        final BufferPool pool = new BufferPool(65_538);
        assertEquals(256, pool.acquire(1).capacity());
        assertEquals(256, pool.acquire(256).capacity());
        assertEquals(512, pool.acquire(257).capacity());
        assertEquals(65_536, pool.acquire(65_536).capacity());
        assertEquals(65_538, pool.acquire(65_537).capacity());
        assertEquals(65_538, pool.acquire(65_538).capacity());
        assertThrows(IllegalArgumentException.class, () -> pool.acquire(65_539));
        assertEquals(256 + 256 + 512 + 65_536 + 65_538 + 65_538, pool.inUseBytes());
    }

    @Test
    void shouldReuseWhatWasGivenBackAndCountOnlyWhatIsInUse()
    {
        final BufferPool pool = new BufferPool(4096);
        final ByteBuffer first = pool.acquire(1000);
        first.put((byte)1);
        pool.release(first);
        assertEquals(0, pool.inUseBytes());
        assertEquals(1024, pool.allocatedBytes(), "cached");

        final ByteBuffer again = pool.acquire(600);
        assertSame(first, again);
        assertEquals(0, again.position(), "cleared");
        assertEquals(1024, pool.inUseBytes());
        assertEquals(1024, pool.allocatedBytes());
    }

    @Test
    void shouldFreeWhatIsGivenBackBeyondABoundedCache()
    {
        final BufferPool pool = new BufferPool(256 * 1024);
        final List<ByteBuffer> inUse = new ArrayList<>();
        for (int i = 0; i < 10; i++)
        {
            inUse.add(pool.acquire(256 * 1024));
        }
        assertEquals(10L * 256 * 1024, pool.allocatedBytes());
        for (final ByteBuffer buffer : inUse)
        {
            pool.release(buffer);
        }
        assertEquals(0, pool.inUseBytes());
        assertEquals(2L * 256 * 1024, pool.allocatedBytes(), "two of the largest class cached, the rest freed");

        pool.close();
        assertEquals(0, pool.allocatedBytes());
        assertTrue(pool.maxBytes() == 256 * 1024);
    }
}
