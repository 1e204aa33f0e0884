/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.util.logging.ConsoleHandler;
import java.util.logging.ErrorManager;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * What {@link ConsoleHandler} does with the broker's default configuration, the same bytes to the same stream, with
 * one log line's worth of garbage less: the console handler's writer copies every line into a new {@code char[]} and
 * a {@link CharBuffer} before encoding it, after {@link Formatter#format} made it a new {@link String}; this handler
 * formats into a {@link StringBuilder}, encodes into a byte buffer and writes that, all three its own and reused. It
 * flushes after every record, as the console handler does.
 * <pre>
 *   LogRecord ──LogLineFormatter.formatTo──▶ text ──getChars──▶ chars ──encoder──▶ bytes ──▶ stream, flush
 * </pre>
 * Any thread: {@link #publish} is synchronized, as {@code StreamHandler}'s is.
 */
final class LogLineHandler extends Handler
{
    private static final int INITIAL_CHARS = 256;

    private final OutputStream out;
    private final CharsetEncoder encoder;
    private final LogLineFormatter lineFormatter = new LogLineFormatter();
    private final StringBuilder text = new StringBuilder(INITIAL_CHARS);
    private char[] chars = new char[INITIAL_CHARS];
    private CharBuffer charBuffer = CharBuffer.wrap(chars);
    private final byte[] bytes = new byte[1024];
    private final ByteBuffer byteBuffer = ByteBuffer.wrap(bytes);

    /**
     * @param out     where the lines go; flushed after each, never closed.
     * @param charset how characters become bytes; what cannot be encoded is replaced, as by an
     *                {@link java.io.OutputStreamWriter}.
     */
    LogLineHandler(final OutputStream out, final Charset charset)
    {
        this.out = out;
        this.encoder = charset.newEncoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
        setFormatter(lineFormatter);
    }

    /**
     * Puts a {@link LogLineHandler} in place of each {@link ConsoleHandler} with a {@link SimpleFormatter} on the root
     * logger, which is where {@code java.util.logging} with its default configuration sends every
     * {@code System.Logger} line, with the same level, filter, error manager and encoding, writing to
     * {@link System#err} as the console handler does. Call only when the {@link SimpleFormatter} format in force is
     * {@link LogLineFormatter#FORMAT}, so that the lines stay the same. Main thread, at start-up.
     */
    static void install()
    {
        final Logger root = Logger.getLogger("");
        for (final Handler handler : root.getHandlers())
        {
            if (handler instanceof ConsoleHandler && null != handler.getFormatter() &&
                handler.getFormatter().getClass() == SimpleFormatter.class)
            {
                final String encoding = handler.getEncoding();
                final LogLineHandler replacement = new LogLineHandler(
                    System.err, null == encoding ? Charset.defaultCharset() : Charset.forName(encoding));
                replacement.setLevel(handler.getLevel());
                replacement.setFilter(handler.getFilter());
                replacement.setErrorManager(handler.getErrorManager());
                root.addHandler(replacement);
                root.removeHandler(handler);
                handler.flush();
            }
        }
    }

    @Override
    public synchronized void publish(final LogRecord record)
    {
        if (!isLoggable(record))
        {
            return;
        }
        text.setLength(0);
        try
        {
            final Formatter formatter = getFormatter();
            if (formatter == lineFormatter)
            {
                lineFormatter.formatTo(record, text);
            }
            else
            {
                text.append(formatter.format(record));
            }
        }
        catch (final RuntimeException ex)
        {
            reportError(null, ex, ErrorManager.FORMAT_FAILURE);
            return;
        }
        try
        {
            write(text);
            out.flush();
        }
        catch (final IOException | RuntimeException ex)
        {
            reportError(null, ex, ErrorManager.WRITE_FAILURE);
        }
    }

    private void write(final StringBuilder line) throws IOException
    {
        final int length = line.length();
        if (chars.length < length)
        {
            chars = new char[Math.max(length, 2 * chars.length)];
            charBuffer = CharBuffer.wrap(chars);
        }
        line.getChars(0, length, chars, 0);
        charBuffer.clear().limit(length);
        encoder.reset();
        while (encoder.encode(charBuffer, byteBuffer, true).isOverflow())
        {
            drain();
        }
        CoderResult result;
        while ((result = encoder.flush(byteBuffer)).isOverflow())
        {
            drain();
        }
        if (result.isError())
        {
            result.throwException(); // cannot happen: errors are replaced
        }
        drain();
    }

    private void drain() throws IOException
    {
        out.write(bytes, 0, byteBuffer.position());
        byteBuffer.clear();
    }

    @Override
    public synchronized void flush()
    {
        try
        {
            out.flush();
        }
        catch (final IOException ex)
        {
            reportError(null, ex, ErrorManager.FLUSH_FAILURE);
        }
    }

    /** Flushes; the stream is not this handler's to close (the console handler does not close it either). */
    @Override
    public void close()
    {
        flush();
    }
}
