/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.charset.StandardCharsets;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A peer name as bytes, usable as a hash map key. A stored key owns a copy of its bytes ({@link #copyOf}); a lookup
 * key is a flyweight re-wrapped over a line in place ({@link #wrap}), so finding a peer by name allocates nothing.
 * Equality is byte-for-byte, so names are case-sensitive and need not be valid UTF-8.
 * Broker thread only.
 */
final class NameKey
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
    private int offset;
    private int length;
    private int hash;

    /**
     * Points this flyweight at a name inside a buffer.
     *
     * @return this.
     */
    NameKey wrap(final DirectBuffer src, final int offset, final int length)
    {
        buffer.wrap(src);
        this.offset = offset;
        this.length = length;
        int h = 1;
        for (int i = offset, end = offset + length; i < end; i++)
        {
            h = 31 * h + src.getByte(i);
        }
        hash = h;
        return this;
    }

    /** @return a key that owns a copy of the bytes. */
    static NameKey copyOf(final DirectBuffer src, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        src.getBytes(offset, bytes);
        return new NameKey().wrap(new UnsafeBuffer(bytes), 0, length);
    }

    int length()
    {
        return length;
    }

    DirectBuffer buffer()
    {
        return buffer;
    }

    int offset()
    {
        return offset;
    }

    @Override
    public int hashCode()
    {
        return hash;
    }

    @Override
    public boolean equals(final Object o)
    {
        if (this == o)
        {
            return true;
        }
        if (!(o instanceof NameKey))
        {
            return false;
        }
        final NameKey that = (NameKey)o;
        if (that.length != length || that.hash != hash)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (buffer.getByte(offset + i) != that.buffer.getByte(that.offset + i))
            {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString()
    {
        return buffer.getStringWithoutLengthUtf8(offset, length);
    }

    static String toString(final DirectBuffer src, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        src.getBytes(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
