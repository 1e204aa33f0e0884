/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON reader, the counterpart of {@link JsonWriter}, for reading run summaries back ({@code compare}):
 * objects become {@link Map}s (in order), arrays {@link List}s, numbers {@link Double}s, and strings, booleans and
 * null what they are. Written by hand for the same reason as the writer: no JSON library in the executable jar.
 * <p>
 * Not thread safe; off the hot path.
 */
public final class JsonReader
{
    private final String text;
    private int index;

    private JsonReader(final String text)
    {
        this.text = text;
    }

    /**
     * @param text one JSON value.
     * @return it, as described above.
     * @throws IllegalArgumentException naming the offset of the first error.
     */
    public static Object parse(final String text)
    {
        final JsonReader reader = new JsonReader(text);
        final Object value = reader.value();
        reader.skipWhitespace();
        if (reader.index != text.length())
        {
            throw reader.error("trailing characters");
        }
        return value;
    }

    /**
     * Follows a path of object keys.
     *
     * @param root parsed JSON.
     * @param keys one per level.
     * @return the value there, or null when any key is missing.
     */
    public static Object at(final Object root, final String... keys)
    {
        Object node = root;
        for (final String key : keys)
        {
            if (!(node instanceof Map))
            {
                return null;
            }
            node = ((Map<?, ?>)node).get(key);
        }
        return node;
    }

    /** @return the number at the path, or NaN when it is missing or null. */
    public static double number(final Object root, final String... keys)
    {
        final Object value = at(root, keys);
        return value instanceof Double ? (Double)value : Double.NaN;
    }

    /** @return the string at the path, or null. */
    public static String string(final Object root, final String... keys)
    {
        final Object value = at(root, keys);
        return value instanceof String ? (String)value : null;
    }

    private Object value()
    {
        skipWhitespace();
        if (index >= text.length())
        {
            throw error("unexpected end");
        }
        final char c = text.charAt(index);
        switch (c)
        {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                return number();
        }
    }

    private Map<String, Object> object()
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        index++;
        skipWhitespace();
        if (peek() == '}')
        {
            index++;
            return map;
        }
        while (true)
        {
            skipWhitespace();
            if (peek() != '"')
            {
                throw error("expected a key");
            }
            final String key = string();
            skipWhitespace();
            expect(':');
            map.put(key, value());
            skipWhitespace();
            if (peek() == ',')
            {
                index++;
                continue;
            }
            expect('}');
            return map;
        }
    }

    private List<Object> array()
    {
        final List<Object> list = new ArrayList<>();
        index++;
        skipWhitespace();
        if (peek() == ']')
        {
            index++;
            return list;
        }
        while (true)
        {
            list.add(value());
            skipWhitespace();
            if (peek() == ',')
            {
                index++;
                continue;
            }
            expect(']');
            return list;
        }
    }

    private String string()
    {
        final StringBuilder sb = new StringBuilder();
        index++;
        while (index < text.length())
        {
            final char c = text.charAt(index++);
            if (c == '"')
            {
                return sb.toString();
            }
            if (c != '\\')
            {
                sb.append(c);
                continue;
            }
            if (index >= text.length())
            {
                break;
            }
            final char escaped = text.charAt(index++);
            switch (escaped)
            {
                case 'n':
                    sb.append('\n');
                    break;
                case 't':
                    sb.append('\t');
                    break;
                case 'r':
                    sb.append('\r');
                    break;
                case 'b':
                    sb.append('\b');
                    break;
                case 'f':
                    sb.append('\f');
                    break;
                case 'u':
                    if (index + 4 > text.length())
                    {
                        throw error("short \\u escape");
                    }
                    sb.append((char)Integer.parseInt(text.substring(index, index + 4), 16));
                    index += 4;
                    break;
                default:
                    sb.append(escaped); // \" \\ \/
                    break;
            }
        }
        throw error("unterminated string");
    }

    private Double number()
    {
        final int start = index;
        while (index < text.length() && "+-0123456789.eE".indexOf(text.charAt(index)) >= 0)
        {
            index++;
        }
        if (start == index)
        {
            throw error("unexpected character '" + text.charAt(index) + "'");
        }
        try
        {
            return Double.valueOf(text.substring(start, index));
        }
        catch (final NumberFormatException ex)
        {
            throw error("bad number");
        }
    }

    private Object literal(final String word, final Object value)
    {
        if (!text.startsWith(word, index))
        {
            throw error("expected " + word);
        }
        index += word.length();
        return value;
    }

    private void expect(final char c)
    {
        if (peek() != c)
        {
            throw error("expected '" + c + "'");
        }
        index++;
    }

    private char peek()
    {
        return index < text.length() ? text.charAt(index) : '\0';
    }

    private void skipWhitespace()
    {
        while (index < text.length() && Character.isWhitespace(text.charAt(index)))
        {
            index++;
        }
    }

    private IllegalArgumentException error(final String what)
    {
        return new IllegalArgumentException("JSON: " + what + " at offset " + index);
    }
}
