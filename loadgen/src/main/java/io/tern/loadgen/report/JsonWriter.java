/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import java.util.Locale;

/**
 * A minimal JSON writer for the run summary: objects, arrays, strings, numbers, booleans, null, indented. Written
 * by hand to keep the executable jar free of a JSON library; the tests parse its output with Jackson.
 * <p>
 * Not thread safe; off the hot path.
 */
public final class JsonWriter
{
    private final StringBuilder sb = new StringBuilder();
    private int depth;
    private boolean first = true;

    public JsonWriter beginObject(final String name)
    {
        key(name);
        sb.append('{');
        depth++;
        first = true;
        return this;
    }

    public JsonWriter endObject()
    {
        depth--;
        newline();
        sb.append('}');
        first = false;
        return this;
    }

    public JsonWriter beginArray(final String name)
    {
        key(name);
        sb.append('[');
        depth++;
        first = true;
        return this;
    }

    public JsonWriter endArray()
    {
        depth--;
        newline();
        sb.append(']');
        first = false;
        return this;
    }

    public JsonWriter value(final String name, final String value)
    {
        key(name);
        if (null == value)
        {
            sb.append("null");
        }
        else
        {
            string(value);
        }
        return this;
    }

    public JsonWriter value(final String name, final long value)
    {
        key(name);
        sb.append(value);
        return this;
    }

    /** Writes a finite number with up to 3 decimals, or null for NaN and infinities (JSON has neither). */
    public JsonWriter value(final String name, final double value)
    {
        key(name);
        if (Double.isNaN(value) || Double.isInfinite(value))
        {
            sb.append("null");
        }
        else
        {
            sb.append(new java.math.BigDecimal(String.format(Locale.ROOT, "%.3f", value)).stripTrailingZeros()
                .toPlainString());
        }
        return this;
    }

    public JsonWriter value(final String name, final boolean value)
    {
        key(name);
        sb.append(value);
        return this;
    }

    /** @return the document; call after the outermost {@link #endObject()}. */
    @Override
    public String toString()
    {
        return sb.toString() + "\n";
    }

    private void key(final String name)
    {
        if (!first)
        {
            sb.append(',');
        }
        first = false;
        if (depth > 0)
        {
            newline();
        }
        if (null != name)
        {
            string(name);
            sb.append(": ");
        }
    }

    private void newline()
    {
        sb.append('\n');
        for (int i = 0; i < depth; i++)
        {
            sb.append("  ");
        }
    }

    private void string(final String text)
    {
        sb.append('"');
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int)c));
                    }
                    else
                    {
                        sb.append(c);
                    }
                    break;
            }
        }
        sb.append('"');
    }
}
