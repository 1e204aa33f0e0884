/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import java.nio.ByteBuffer;

/**
 * A flyweight over one {@code error:} line in the buffer it was read into: its {@link ErrorKind}, the name or number
 * it carries, and the send it answers when that can be known ({@link #sendId()}). Valid only during the
 * {@link ErrorHandler#onError} call that gets it. The accessors ending in {@code AsString}, and {@link #toString()},
 * allocate; the others do not.
 * <p>
 * One instance per connection, reused; the thread that decodes (the client's I/O thread) only.
 */
public final class ErrorReply
{
    /** {@link #sendId()} when the reply cannot be tied to one send. */
    public static final long NO_SEND = 0;

    private ErrorKind kind;
    private ByteBuffer buffer;
    private int lineOffset;
    private int lineLength;
    private int subjectOffset;
    private int subjectLength;
    private long limit;
    private long sendId;

    void wrap(
        final ErrorKind kind, final ByteBuffer buffer, final int lineOffset, final int lineLength,
        final int subjectOffset, final int subjectLength, final long limit)
    {
        this.kind = kind;
        this.buffer = buffer;
        this.lineOffset = lineOffset;
        this.lineLength = lineLength;
        this.subjectOffset = subjectOffset;
        this.subjectLength = subjectLength;
        this.limit = limit;
        this.sendId = NO_SEND;
    }

    void sendId(final long sendId)
    {
        this.sendId = sendId;
    }

    /** @return what the broker refused. */
    public ErrorKind kind()
    {
        return kind;
    }

    /**
     * @return the id {@link TernClient#send} returned for the send this answers, or {@link #NO_SEND} when the reply
     * is not about one send or the client could not tell which (see docs/client.md, "Errors").
     */
    public long sendId()
    {
        return sendId;
    }

    /**
     * @return the number in the line: N of {@code max N}, {@code within N ms} or {@code idle for N ms}; -1 for none.
     */
    public long limit()
    {
        return limit;
    }

    /** @return the buffer holding the line; read it with absolute gets only. */
    public ByteBuffer buffer()
    {
        return buffer;
    }

    /** @return index in {@link #buffer()} of the line's first byte ({@code e} of {@code error:}). */
    public int lineOffset()
    {
        return lineOffset;
    }

    /** @return bytes of the line, line end excluded. */
    public int lineLength()
    {
        return lineLength;
    }

    /**
     * @return index in {@link #buffer()} of the name the line carries: the missing destination of
     * {@link ErrorKind#NO_SUCH_PEER}, the name of {@link ErrorKind#NAME_TAKEN}, the reason of
     * {@link ErrorKind#INVALID_NAME}; the whole line for the others.
     */
    public int subjectOffset()
    {
        return subjectOffset;
    }

    /** @return bytes of the subject (see {@link #subjectOffset()}). */
    public int subjectLength()
    {
        return subjectLength;
    }

    /**
     * @param name a peer's name as UTF-8 bytes.
     * @return true when the subject is exactly that name. Allocates nothing.
     */
    public boolean subjectEquals(final byte[] name)
    {
        return LineDecoder.equalsBytes(buffer, subjectOffset, subjectOffset + subjectLength, name);
    }

    /** @return the subject (see {@link #subjectOffset()}). Allocates. */
    public String subjectAsString()
    {
        return ReceivedMessage.string(buffer, subjectOffset, subjectLength);
    }

    /** @return the whole line as the broker sent it, without its line end. Allocates. */
    public String textAsString()
    {
        return ReceivedMessage.string(buffer, lineOffset, lineLength);
    }

    /** @return e.g. {@code NO_SUCH_PEER (send 12): error: no peer 'carol'}. Allocates. */
    @Override
    public String toString()
    {
        return kind + (sendId != NO_SEND ? " (send " + sendId + ")" : "") + ": " + textAsString();
    }
}
