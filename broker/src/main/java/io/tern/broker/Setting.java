/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Function;

/**
 * One setting of the broker: its name (the long option without dashes, and the config file key), default, unit, valid
 * range and meaning, and how to read it from text and write it back. Every setting is declared once, in
 * {@link Settings}; the command line, {@code --help}, the config file, the start-up output and the docs' settings
 * table are all derived from these declarations.
 * <p>
 * Immutable, so any thread may use it. Parsing happens at start-up only; hot code never reads a setting.
 *
 * @param <T> the type of the parsed value.
 */
public final class Setting<T>
{
    /** Why a value is not acceptable, or null when it is. */
    @FunctionalInterface
    interface Check<T>
    {
        /**
         * @param value a parsed value.
         * @return the reason it is refused, e.g. {@code must be a power of two}, or null if it is fine.
         */
        String reasonToRefuse(T value);
    }

    /** Reads a value from its text, throwing {@link IllegalArgumentException} with the reason when it cannot. */
    @FunctionalInterface
    interface Parser<T>
    {
        T parse(String text);
    }

    private final String name;
    private final String defaultText;
    private final String unit;
    private final String paramLabel;
    private final String range;
    private final String description;
    private final Parser<T> parser;
    private final Function<T, String> formatter;

    private Setting(
        final String name,
        final String defaultText,
        final String unit,
        final String paramLabel,
        final String range,
        final String description,
        final Parser<T> parser,
        final Function<T, String> formatter)
    {
        this.name = name;
        this.defaultText = defaultText;
        this.unit = unit;
        this.paramLabel = paramLabel;
        this.range = range;
        this.description = description;
        this.parser = parser;
        this.formatter = formatter;
    }

    /**
     * Free text that must not be blank, e.g. an address. The value is trimmed.
     */
    static Setting<String> text(
        final String name, final String defaultValue, final String paramLabel, final String description)
    {
        return new Setting<>(name, defaultValue, "", paramLabel, "not empty", description,
            text ->
            {
                final String value = text.trim();
                if (value.isEmpty())
                {
                    throw new IllegalArgumentException("must not be empty");
                }
                return value;
            },
            value -> value);
    }

    /**
     * Free text that may be empty (the default: none). The value is trimmed.
     */
    static Setting<String> optionalText(final String name, final String paramLabel, final String description)
    {
        return new Setting<>(name, "", "", paramLabel, "text, or empty for none", description, String::trim,
            value -> value);
    }

    /**
     * A whole number in {@code [min, max]}.
     */
    static Setting<Integer> intIn(
        final String name,
        final int defaultValue,
        final String unit,
        final int min,
        final int max,
        final String description)
    {
        return new Setting<>(name, Integer.toString(defaultValue), unit, label(unit), min + "-" + max, description,
            text -> (int)wholeNumberIn(text, min, max), value -> Integer.toString(value));
    }

    /**
     * A power of two in {@code [min, max]}.
     */
    static Setting<Integer> powerOfTwoIn(
        final String name,
        final int defaultValue,
        final String unit,
        final int min,
        final int max,
        final String description)
    {
        return intIn(name, defaultValue, unit, min, max, description).and(
            value -> Integer.bitCount(value) == 1 ? null : "must be a power of two",
            "power of two, " + min + "-" + max);
    }

    /**
     * A whole number of type long in {@code [min, max]}.
     */
    static Setting<Long> longIn(
        final String name,
        final long defaultValue,
        final String unit,
        final long min,
        final long max,
        final String description)
    {
        return new Setting<>(name, Long.toString(defaultValue), unit, label(unit), min + "-" + max, description,
            text -> wholeNumberIn(text, min, max), value -> Long.toString(value));
    }

    /**
     * One of the constants of an enum, written in lower case with {@code -} for {@code _}, e.g. {@code busy-spin}.
     */
    static <E extends Enum<E>> Setting<E> oneOf(final String name, final E defaultValue, final String description)
    {
        final Class<E> type = defaultValue.getDeclaringClass();
        final StringBuilder allowed = new StringBuilder();
        for (final E e : type.getEnumConstants())
        {
            allowed.append(allowed.length() == 0 ? "" : ", ").append(spell(e));
        }
        final String choices = allowed.toString();
        return new Setting<>(name, spell(defaultValue), "", choices.replace(", ", "|"), "one of " + choices,
            description,
            text ->
            {
                final String wanted = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
                for (final E e : type.getEnumConstants())
                {
                    if (e.name().equals(wanted))
                    {
                        return e;
                    }
                }
                throw new IllegalArgumentException("must be one of " + choices);
            },
            Setting::spell);
    }

    /**
     * A file or directory, or none: the empty text, parsed as null, which is the default.
     */
    static Setting<Path> optionalPath(
        final String name, final String paramLabel, final String description, final Check<Path> check)
    {
        return new Setting<Path>(name, "", "", paramLabel, "a path, or empty for none", description,
            text ->
            {
                final String trimmed = text.trim();
                return trimmed.isEmpty() ? null : Path.of(trimmed);
            },
            value -> null == value ? "" : value.toString())
            .and(value -> null == value ? null : check.reasonToRefuse(value), null);
    }

    /**
     * A TCP port in {@code [0, 65535]}, or {@code off}, parsed as -1.
     */
    static Setting<Integer> portOrOff(final String name, final String defaultText, final String description)
    {
        final String reason = "must be between 0 and 65535 or 'off'";
        return new Setting<>(name, defaultText, "", "PORT|off", "0-65535, or off", description,
            text ->
            {
                if (text.trim().equalsIgnoreCase("off"))
                {
                    return -1;
                }
                try
                {
                    return (int)wholeNumberIn(text, 0, 65535);
                }
                catch (final IllegalArgumentException ex)
                {
                    throw new IllegalArgumentException(reason, ex);
                }
            },
            value -> value < 0 ? "off" : Integer.toString(value));
    }

    /**
     * @param check     a further rule on the parsed value.
     * @param rangeText the valid range as the docs and {@code --help} show it, or null to keep this one's.
     * @return a setting like this one that also applies {@code check}.
     */
    Setting<T> and(final Check<T> check, final String rangeText)
    {
        final Parser<T> first = parser;
        return new Setting<>(name, defaultText, unit, paramLabel, null == rangeText ? range : rangeText, description,
            text ->
            {
                final T value = first.parse(text);
                final String reason = check.reasonToRefuse(value);
                if (null != reason)
                {
                    throw new IllegalArgumentException(reason);
                }
                return value;
            },
            formatter);
    }

    /**
     * @param label the placeholder for the value in usage text, e.g. {@code PORT}.
     * @return a setting like this one with that placeholder.
     */
    Setting<T> labelled(final String label)
    {
        return new Setting<>(name, defaultText, unit, label, range, description, parser, formatter);
    }

    /** @return the name: {@code --<name>} on the command line, {@code <name>} in a config file. */
    public String name()
    {
        return name;
    }

    /** @return the default as text, as it would be typed; empty for none. */
    public String defaultText()
    {
        return defaultText;
    }

    /** @return the unit of the value, e.g. {@code bytes} or {@code ms}; empty when it has none. */
    public String unit()
    {
        return unit;
    }

    /** @return the placeholder for the value in usage text, e.g. {@code BYTES} or {@code block|backoff|busy-spin}. */
    public String paramLabel()
    {
        return paramLabel;
    }

    /** @return the valid values, e.g. {@code 1-64} or {@code power of two, 8-16777216}. */
    public String range()
    {
        return range;
    }

    /** @return what the setting does, for {@code --help} and the docs. */
    public String description()
    {
        return description;
    }

    /**
     * @param text the value as typed.
     * @return the value.
     * @throws IllegalArgumentException with the reason alone (e.g. {@code must be a power of two}) when the text is
     *                                  not a valid value.
     */
    public T parse(final String text)
    {
        return parser.parse(text);
    }

    /**
     * @param value a value of this setting.
     * @return its text, such that {@link #parse(String)} gives the value back.
     */
    public String format(final T value)
    {
        return formatter.apply(value);
    }

    @Override
    public String toString()
    {
        return name;
    }

    private static long wholeNumberIn(final String text, final long min, final long max)
    {
        final long value;
        try
        {
            value = Long.parseLong(text.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("not a whole number");
        }
        if (value < min || value > max)
        {
            throw new IllegalArgumentException("must be between " + min + " and " + max);
        }
        return value;
    }

    private static String label(final String unit)
    {
        return unit.isEmpty() ? "N" : unit.toUpperCase(Locale.ROOT);
    }

    private static String spell(final Enum<?> e)
    {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
