/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import io.tern.transport.Protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * One or more destination names, encoded once as the start of a message line: {@code bob, carol: }. Made once and
 * reused for every send to the same names, so a send encodes nothing but its text (the garbage-free path).
 * <p>
 * Each name is checked against the protocol's name rule ({@link Protocol#checkName(String, int)}, Unicode, no length
 * limit: the broker's own limit decides) when made, so a send never fails for a name the broker could not hold.
 * Repeats are kept as given: the broker delivers once per name, and answers {@code error: no peer} once per listing.
 * <p>
 * Immutable: any thread.
 */
public final class Destinations
{
    private static final byte[] SEPARATOR = ", ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = ": ".getBytes(StandardCharsets.US_ASCII);

    private final List<String> names;
    private final byte[] prefix;

    private Destinations(final List<String> names)
    {
        if (names.isEmpty())
        {
            throw new IllegalArgumentException("destinations=[] must name at least one peer");
        }
        int bytes = END.length;
        final byte[][] encoded = new byte[names.size()][];
        for (int i = 0; i < encoded.length; i++)
        {
            final String name = names.get(i);
            final Protocol.NameError error = Protocol.checkName(name, Integer.MAX_VALUE);
            if (null != error)
            {
                throw new IllegalArgumentException("destination='" + name + "' is not a valid name: " +
                    error.reason(Integer.MAX_VALUE));
            }
            encoded[i] = name.getBytes(StandardCharsets.UTF_8);
            bytes += encoded[i].length + (i > 0 ? SEPARATOR.length : 0);
        }
        prefix = new byte[bytes];
        int at = 0;
        for (int i = 0; i < encoded.length; i++)
        {
            if (i > 0)
            {
                System.arraycopy(SEPARATOR, 0, prefix, at, SEPARATOR.length);
                at += SEPARATOR.length;
            }
            System.arraycopy(encoded[i], 0, prefix, at, encoded[i].length);
            at += encoded[i].length;
        }
        System.arraycopy(END, 0, prefix, at, END.length);
        this.names = Collections.unmodifiableList(new ArrayList<>(names));
    }

    /**
     * @param names one or more peer names.
     * @return the destinations.
     * @throws IllegalArgumentException naming the first invalid name, or when there is none.
     */
    public static Destinations of(final String... names)
    {
        return new Destinations(Arrays.asList(names));
    }

    /**
     * @param names one or more peer names.
     * @return the destinations.
     * @throws IllegalArgumentException naming the first invalid name, or when there is none.
     */
    public static Destinations of(final Collection<String> names)
    {
        return new Destinations(new ArrayList<>(names));
    }

    /**
     * @param list names as the protocol writes them, {@code "bob, carol"}: split at {@code ,}, each trimmed of spaces
     *             and tabs, empty ones skipped (as the broker does).
     * @return the destinations.
     * @throws IllegalArgumentException naming the first invalid name, or when there is none.
     */
    public static Destinations parse(final String list)
    {
        final List<String> names = new ArrayList<>();
        for (final String part : list.split(",", -1))
        {
            final String name = trimBlanks(part);
            if (!name.isEmpty())
            {
                names.add(name);
            }
        }
        return new Destinations(names);
    }

    private static String trimBlanks(final String text)
    {
        int start = 0;
        int end = text.length();
        while (start < end && (text.charAt(start) == ' ' || text.charAt(start) == '\t'))
        {
            start++;
        }
        while (end > start && (text.charAt(end - 1) == ' ' || text.charAt(end - 1) == '\t'))
        {
            end--;
        }
        return text.substring(start, end);
    }

    /** @return the names, in the order given. */
    public List<String> names()
    {
        return names;
    }

    /** @return how many names, repeats included (what the broker counts against {@code --max-destinations}). */
    public int count()
    {
        return names.size();
    }

    /** @return bytes of {@link #prefixBytes()}. */
    public int prefixLength()
    {
        return prefix.length;
    }

    /**
     * @return the start of a message line to these names, {@code name1, name2: } (UTF-8); a copy, made once by the
     * caller (the loadgen builds its frames from it).
     */
    public byte[] prefixBytes()
    {
        return prefix.clone();
    }

    /** The prefix without a copy, for the send path. */
    byte[] prefix()
    {
        return prefix;
    }

    @Override
    public String toString()
    {
        return String.join(", ", names);
    }
}
