/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A flyweight over one delivered line, {@code from SENDER: TEXT}, in the buffer it was read into: the sender's name
 * and the text as offsets, nothing copied. Valid only during the {@link MessageHandler#onMessage} call that gets it:
 * the buffer is reused for the next read. The accessors ending in {@code AsString} allocate; the others do not.
 * <p>
 * One instance per connection, reused for every message; the thread that decodes (the client's I/O thread) only.
 */
public final class ReceivedMessage
{
    private ByteBuffer buffer;
    private int senderOffset;
    private int senderLength;
    private int textOffset;
    private int textLength;
    private long readTimeNs;

    /** The read that brought the lines decoded next returned at this {@link System#nanoTime()}. */
    void readTimeNs(final long nanoTime)
    {
        this.readTimeNs = nanoTime;
    }

    void wrap(
        final ByteBuffer buffer, final int senderOffset, final int senderLength, final int textOffset,
        final int textLength)
    {
        this.buffer = buffer;
        this.senderOffset = senderOffset;
        this.senderLength = senderLength;
        this.textOffset = textOffset;
        this.textLength = textLength;
    }

    /** @return the buffer holding the line; read it with absolute gets only. */
    public ByteBuffer buffer()
    {
        return buffer;
    }

    /** @return index of the sender's name's first byte in {@link #buffer()}. */
    public int senderOffset()
    {
        return senderOffset;
    }

    /** @return bytes of the sender's name (UTF-8). */
    public int senderLength()
    {
        return senderLength;
    }

    /** @return index of the text's first byte in {@link #buffer()}. */
    public int textOffset()
    {
        return textOffset;
    }

    /** @return bytes of the text, the line end excluded. */
    public int textLength()
    {
        return textLength;
    }

    /**
     * When the line reached this client: the {@link System#nanoTime()} taken as the read that completed it returned
     * (for TLS, the read that gave its decrypted bytes). Lines that came in one read share it. For measuring latency
     * without a clock read per message. 0 for a line decoded outside a client, by a {@link LineDecoder} of one's own.
     *
     * @return the read's {@code System.nanoTime()}.
     */
    public long readTimeNs()
    {
        return readTimeNs;
    }

    /**
     * @param name a peer's name as UTF-8 bytes.
     * @return true when the sender is exactly that name. Allocates nothing.
     */
    public boolean senderEquals(final byte[] name)
    {
        return LineDecoder.equalsBytes(buffer, senderOffset, senderOffset + senderLength, name);
    }

    /**
     * Copies the text into {@code dst} at index 0. Allocates nothing.
     *
     * @param dst at least {@link #textLength()} bytes.
     * @return bytes copied.
     */
    public int getText(final byte[] dst)
    {
        buffer.get(textOffset, dst, 0, textLength);
        return textLength;
    }

    /** @return the sender's name. Allocates. */
    public String senderAsString()
    {
        return string(buffer, senderOffset, senderLength);
    }

    /** @return the text, decoded as UTF-8. Allocates. */
    public String textAsString()
    {
        return string(buffer, textOffset, textLength);
    }

    static String string(final ByteBuffer buffer, final int offset, final int length)
    {
        final byte[] bytes = new byte[length];
        buffer.get(offset, bytes, 0, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString()
    {
        return "from " + senderAsString() + ": " + textAsString();
    }
}
