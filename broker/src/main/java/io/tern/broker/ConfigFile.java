/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a broker config file ({@code --config FILE}) into a {@link BrokerConfig}: one setting a line, as
 * {@code name value} or {@code name = value}, names as the long options without dashes; {@code #} starts a comment
 * at the start of a line or after white space; a value may be put in double quotes (needed when it is empty, or
 * holds white space or {@code #}). docs/configuration.md describes the format for users.
 * <p>
 * Used on the main thread at start-up only.
 */
final class ConfigFile
{
    private ConfigFile()
    {
    }

    /**
     * Sets every setting the file names. Values are checked here, one by one, so a bad one is reported with its line
     * even if the command line overrides it; rules between settings are checked by {@link BrokerConfig#conclude()},
     * whose messages also name the file and line of a value that came from it.
     *
     * @param file   the config file.
     * @param config where the settings go.
     * @throws IOException              if the file cannot be read.
     * @throws IllegalArgumentException for an unknown name, a setting given twice, or a bad value, as
     *                                  {@code file:line: reason}.
     */
    static void read(final Path file, final BrokerConfig config) throws IOException
    {
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        final Map<Setting<?>, Integer> lineOf = new HashMap<>();
        for (int i = 0; i < lines.size(); i++)
        {
            final int lineNumber = i + 1;
            final String where = file + ":" + lineNumber;
            final String line = withoutComment(lines.get(i)).strip();
            if (line.isEmpty())
            {
                continue;
            }

            int end = 0;
            while (end < line.length() && !Character.isWhitespace(line.charAt(end)) && line.charAt(end) != '=')
            {
                end++;
            }
            final String name = line.substring(0, end);
            String rest = line.substring(end).strip();
            if (rest.startsWith("="))
            {
                rest = rest.substring(1).strip();
            }

            final Setting<?> setting = Settings.byName(name);
            if (null == setting)
            {
                throw new IllegalArgumentException(where + ": unknown setting '" + name + "'" +
                    (name.startsWith("-") ? " (write names without dashes)" : ""));
            }
            if (rest.isEmpty())
            {
                throw new IllegalArgumentException(where + ": " + name + " needs a value (\"\" for an empty one)");
            }
            final String value;
            if (rest.startsWith("\""))
            {
                if (rest.length() < 2 || !rest.endsWith("\"") || rest.indexOf('"', 1) != rest.length() - 1)
                {
                    throw new IllegalArgumentException(where + ": " + name + ": a quoted value must end the line " +
                        "with a closing quote");
                }
                value = rest.substring(1, rest.length() - 1);
            }
            else
            {
                value = rest;
            }
            final Integer earlier = lineOf.put(setting, lineNumber);
            if (null != earlier)
            {
                throw new IllegalArgumentException(where + ": " + name + " is already set on line " + earlier);
            }
            try
            {
                setting.parse(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException(where + ": --" + name + "=" + value + ": " + ex.getMessage(), ex);
            }
            config.setText(setting, value, where);
        }
    }

    /** A {@code #} at the start or after white space, outside double quotes, starts a comment. */
    private static String withoutComment(final String line)
    {
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++)
        {
            final char c = line.charAt(i);
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '#' && !quoted && (i == 0 || Character.isWhitespace(line.charAt(i - 1))))
            {
                return line.substring(0, i);
            }
        }
        return line;
    }
}
