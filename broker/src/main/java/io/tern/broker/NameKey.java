/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.util.Arrays;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.tern.transport.Protocol;

/**
 * A peer name as bytes, usable as a hash map key. A stored key owns a copy of its bytes ({@link #copyOf}) and
 * nothing else, since one is held per named peer; a lookup key is a flyweight re-wrapped over a line in place
 * ({@link #wrap}), so finding a peer by name allocates nothing. Equality is byte-for-byte, so names are
 * case-sensitive; the name rule (valid UTF-8 in NFC, no invisible characters) makes equal-looking names equal bytes.
 * Broker thread only.
 */
final class NameKey
{
    /** A flyweight's view of the line it is wrapped over; null in a stored key. */
    private final UnsafeBuffer view;
    /** A stored key's own copy of the name; null in a flyweight. */
    private final byte[] bytes;
    private int offset;
    private int length;
    private int hash;

    /** A flyweight, to {@link #wrap} over a name. */
    NameKey()
    {
        this.view = new UnsafeBuffer(0, 0);
        this.bytes = null;
    }

    private NameKey(final byte[] bytes)
    {
        this.view = null;
        this.bytes = bytes;
        this.length = bytes.length;
        int h = 1;
        for (final byte b : bytes)
        {
            h = 31 * h + b;
        }
        this.hash = h;
    }

    /**
     * Points this flyweight at a name inside a buffer.
     *
     * @return this.
     */
    NameKey wrap(final DirectBuffer src, final int offset, final int length)
    {
        view.wrap(src);
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
        return new NameKey(bytes);
    }

    int length()
    {
        return length;
    }

    /** @return a stored key's bytes, all of them the name (not to be changed). */
    byte[] bytes()
    {
        return bytes;
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
        if (null != bytes)
        {
            return null != that.bytes ? Arrays.equals(bytes, that.bytes) : that.viewMatches(bytes);
        }
        if (null != that.bytes)
        {
            return viewMatches(that.bytes);
        }
        for (int i = 0; i < length; i++)
        {
            if (view.getByte(offset + i) != that.view.getByte(that.offset + i))
            {
                return false;
            }
        }
        return true;
    }

    /** A flyweight's bytes against a stored key's, of the same length. */
    private boolean viewMatches(final byte[] stored)
    {
        for (int i = 0; i < length; i++)
        {
            if (view.getByte(offset + i) != stored[i])
            {
                return false;
            }
        }
        return true;
    }

    /** @return the name for a log line, escaped ({@link Protocol#escapeName}): two names never print alike. */
    @Override
    public String toString()
    {
        if (null != bytes)
        {
            return Protocol.escapeName(bytes, 0, length);
        }
        return toString(view, offset, length);
    }

    /** @return the name at {@code [offset, offset + length)} for a log line, escaped as {@link #toString()}. */
    static String toString(final DirectBuffer src, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        src.getBytes(offset, bytes);
        return Protocol.escapeName(bytes, 0, length);
    }
}
