/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Everything that lists the settings agrees with their declarations in {@link Settings}: the table in
 * docs/configuration.md, the options and {@code --help}, the config file's names, and the effective settings printed
 * at start-up.
 * <p>
 * Run with {@code -Dtern.writeDocs=true} to rewrite the docs' table from the declarations instead of checking it.
 */
class BrokerSettingsTest
{
    private static final Path DOCS = Path.of("..", "docs", "configuration.md");
    private static final Path README = Path.of("..", "README.md");
    private static final String BEGIN = "<!-- settings-table:begin -->\n";
    private static final String END = "<!-- settings-table:end -->";

    @Test
    @Timeout(10)
    void shouldHaveTheDocsTableGeneratedFromTheDeclarations() throws IOException
    {
        final String page = Files.readString(DOCS, StandardCharsets.UTF_8);
        final int begin = page.indexOf(BEGIN);
        final int end = page.indexOf(END);
        assertTrue(begin >= 0 && end > begin, "docs/configuration.md has no settings-table markers");
        final String table = Settings.markdownTable();
        if (Boolean.getBoolean("tern.writeDocs"))
        {
            Files.writeString(DOCS, page.substring(0, begin + BEGIN.length()) + table + page.substring(end),
                StandardCharsets.UTF_8);
            return;
        }
        assertEquals(table, page.substring(begin + BEGIN.length(), end),
            "docs/configuration.md's settings table is out of date: rerun this test with -Dtern.writeDocs=true");
        for (final Setting<?> setting : Settings.all())
        {
            assertTrue(table.contains("| `" + setting.name() + "` |"), setting.name());
        }
    }

    @Test
    @Timeout(10)
    void shouldShowTheDeclaredDefaultsInTheReadmesShortTable() throws IOException
    {
        final Pattern row = Pattern.compile("^\\| `--([a-z-]+)` +\\| (`([^`]*)`|\\(none\\)) +\\|", Pattern.MULTILINE);
        final Matcher matcher = row.matcher(Files.readString(README, StandardCharsets.UTF_8));
        int rows = 0;
        while (matcher.find())
        {
            final Setting<?> setting = Settings.byName(matcher.group(1));
            assertNotNull(setting, "README names a setting that does not exist: --" + matcher.group(1));
            final String shown = null == matcher.group(3) ? "" : matcher.group(3);
            assertEquals(setting.defaultText(), shown, "README's default for --" + setting.name());
            rows++;
        }
        assertTrue(rows >= 5, "README's settings table was not found (" + rows + " rows)");
    }

    @Test
    @Timeout(10)
    void shouldOfferExactlyOneOptionPerSettingWithItsDefaultUnitAndRangeInTheHelp()
    {
        final CommandLine commandLine = BrokerMain.commandLine();
        final Set<String> expected = new HashSet<>(Set.of(BrokerMain.CONFIG_OPTION, "--help", "-h", "--version", "-V"));
        for (final Setting<?> setting : Settings.all())
        {
            expected.add("--" + setting.name());
        }
        final Set<String> offered = new HashSet<>();
        for (final OptionSpec option : commandLine.getCommandSpec().options())
        {
            offered.addAll(List.of(option.names()));
        }
        assertEquals(expected, offered);

        final String help = squeezed(commandLine.getUsageMessage());
        for (final Setting<?> setting : Settings.all())
        {
            final String text = squeezed(BrokerMain.help(setting));
            assertTrue(help.contains("--" + setting.name() + "=" + setting.paramLabel() + " " + text),
                () -> "--help should show --" + setting.name() + " with " + text + ":\n" + help);
            assertTrue(text.contains("default: " + (setting.defaultText().isEmpty() ? "none" : setting.defaultText())),
                text);
            assertTrue(text.contains("valid: " + setting.range()), text);
            assertTrue(setting.unit().isEmpty() || text.contains("unit: " + setting.unit()), text);
        }
        assertFalse(help.contains("settings:"), "--help prints usage, not the settings in force");
    }

    @Test
    @Timeout(10)
    void shouldAcceptEverySettingsNameInAConfigFile(@TempDir final Path dir) throws IOException
    {
        final StringBuilder file = new StringBuilder();
        for (final Setting<?> setting : Settings.all())
        {
            file.append(setting.name()).append(' ').append(BrokerConfig.quoted(setting.defaultText())).append('\n');
        }
        final BrokerConfig config = new BrokerConfig();
        ConfigFile.read(write(dir, "every.conf", file.toString()), config);
        for (final Setting<?> setting : Settings.all())
        {
            assertTrue(config.isSet(setting), setting.name());
        }
        assertEquals(new BrokerConfig().port(8080).adminPort(8081).conclude().describe(), config.conclude().describe());
    }

    @Test
    @Timeout(10)
    void shouldPrintEverySettingInDeclarationOrderAsAConfigFileReadsThem(@TempDir final Path dir) throws IOException
    {
        final String line = new BrokerConfig().port(0).threading("auto").conclude().describe(41000, 41001);
        final List<String> names = new ArrayList<>();
        final StringBuilder asFile = new StringBuilder();
        final Matcher pair = Pattern.compile("([a-z-]+)=(\"[^\"]*\"|\\S+)").matcher(line);
        while (pair.find())
        {
            names.add(pair.group(1));
            asFile.append(pair.group(1)).append(' ').append(pair.group(2)).append('\n');
        }
        final List<String> declared = new ArrayList<>();
        for (final Setting<?> setting : Settings.all())
        {
            declared.add(setting.name());
        }
        assertEquals(declared, names, line);
        assertTrue(line.contains(" port=41000 "), line);
        assertTrue(line.contains(" admin-port=41001 "), line);
        assertTrue(line.contains(" threading=shared "), "auto is shown as what it chose: " + line);

        final BrokerConfig reread = new BrokerConfig();
        ConfigFile.read(write(dir, "printed.conf", asFile.toString()), reread);
        assertEquals(line, reread.conclude().describe(41000, 41001), "the printed settings, read back, are the same");
    }

    @Test
    @Timeout(10)
    void shouldHaveAValidExampleConfigFileInTheDocs(@TempDir final Path dir) throws IOException
    {
        final String page = Files.readString(DOCS, StandardCharsets.UTF_8);
        final Matcher example = Pattern.compile("```conf\n(.*?)```", Pattern.DOTALL).matcher(page);
        assertTrue(example.find(), "docs/configuration.md has no ```conf example");
        final Path users = write(dir, "users.txt", "");
        final BrokerConfig config = new BrokerConfig();
        ConfigFile.read(write(dir, "example.conf", example.group(1).replace("/etc/tern/users.txt", users.toString())),
            config);
        assertEquals(4096, config.conclude().get(Settings.MAX_CONNECTIONS));
        assertEquals(users, config.get(Settings.AUTH_FILE));
    }

    @Test
    @Timeout(10)
    void shouldDeclareEachNameOnceWithADescriptionAndAValidDefault()
    {
        final Set<String> names = new HashSet<>();
        for (final Setting<?> setting : Settings.all())
        {
            assertTrue(names.add(setting.name()), "declared twice: " + setting.name());
            assertTrue(setting.name().matches("[a-z]+(-[a-z]+)*"), setting.name());
            assertFalse(setting.description().isBlank(), setting.name());
            assertFalse(setting.range().isBlank(), setting.name());
            assertNotNull(Settings.byName(setting.name()));
            try
            {
                roundTrip(setting);
            }
            catch (final IllegalArgumentException ex)
            {
                fail("the default of " + setting.name() + " is not valid: " + ex.getMessage());
            }
        }
    }

    private static <T> void roundTrip(final Setting<T> setting)
    {
        final T value = setting.parse(setting.defaultText());
        assertEquals(setting.defaultText(), setting.format(value), setting.name());
    }

    private static String squeezed(final String text)
    {
        return text.replaceAll("\\s+", " ");
    }

    private static Path write(final Path dir, final String name, final String text) throws IOException
    {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }
}
