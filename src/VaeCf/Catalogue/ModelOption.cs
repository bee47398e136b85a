using System.Globalization;

namespace VaeCf.Catalogue;

/// <summary>
/// One option a model kind declares for itself: its key (the grid key, and the CLI's
/// <c>--option KEY=VALUE</c>), what it means, its default and which values are valid. Grid files,
/// the CLI, run ids, config.json's "hyperparameters" and results.csv read a kind's options through
/// these declarations, so a new kind's options need no code outside its own folder.
/// </summary>
public abstract class ModelOption
{
    /// <summary>Checks that <paramref name="key"/> is lower-case letters, digits and '_'.</summary>
    protected ModelOption(string key, string description)
    {
        if (key.Length == 0 || key.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_')))
            throw new ArgumentException($"An option key is lower-case letters, digits and '_', got '{key}'.", nameof(key));
        Key = key;
        Description = description;
    }

    /// <summary>The grid key, e.g. "lambda"; the CLI flag is the same word with dashes.</summary>
    public string Key { get; }

    /// <summary>One sentence for help texts: what the option changes.</summary>
    public string Description { get; }

    /// <summary>"number" or "integer", for help texts.</summary>
    public abstract string TypeName { get; }

    /// <summary>The value used when none is given.</summary>
    public abstract object DefaultValue { get; }

    /// <summary>The default as <see cref="Format"/> writes it.</summary>
    public abstract string DefaultText { get; }

    /// <summary>What a valid value is, e.g. "a number > 0".</summary>
    public abstract string Requirement { get; }

    /// <summary>Parses and checks <paramref name="text"/>; the error names <paramref name="where"/> (a file and key, or a flag).</summary>
    public abstract object Parse(string text, string where);

    /// <summary>Checks a value set in code; the error names <paramref name="where"/>.</summary>
    public abstract void Check(object value, string where);

    /// <summary>The shortest text that reads back as <paramref name="value"/>: run ids and help texts use it.</summary>
    public abstract string Format(object value);

    /// <summary>The value as config.json's "hyperparameters" store it.</summary>
    public abstract double ToNumber(object value);

    /// <summary>A real-valued option (parsed as float, as the networks compute).</summary>
    public static ModelOption<float> Number(string key, float defaultValue, string description, Func<float, bool> isValid, string requirement) =>
        new(key, description, defaultValue, "number", isValid, requirement,
            (text, where) => float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v)
                ? v : throw new VaeCfException($"{where} must be a number, got '{text}'."),
            v => v.ToString("R", CultureInfo.InvariantCulture), v => v);

    /// <summary>A whole-number option.</summary>
    public static ModelOption<int> Integer(string key, int defaultValue, string description, Func<int, bool> isValid, string requirement) =>
        new(key, description, defaultValue, "integer", isValid, requirement,
            (text, where) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
                ? v : throw new VaeCfException($"{where} must be an integer, got '{text}'."),
            v => v.ToString(CultureInfo.InvariantCulture), v => v);

    /// <inheritdoc/>
    public override string ToString() => Key;
}

/// <summary>A declared option whose values are <typeparamref name="T"/>; see <see cref="ModelOption"/>.</summary>
public sealed class ModelOption<T> : ModelOption where T : notnull
{
    private readonly Func<T, bool> _isValid;
    private readonly Func<string, string, T> _parse;
    private readonly Func<T, string> _format;
    private readonly Func<T, double> _toNumber;

    internal ModelOption(string key, string description, T defaultValue, string typeName, Func<T, bool> isValid, string requirement,
        Func<string, string, T> parse, Func<T, string> format, Func<T, double> toNumber) : base(key, description)
    {
        Default = defaultValue;
        TypeName = typeName;
        Requirement = requirement;
        _isValid = isValid;
        _parse = parse;
        _format = format;
        _toNumber = toNumber;
        if (!isValid(defaultValue)) throw new ArgumentException($"The default of '{key}' ({format(defaultValue)}) is not {requirement}.", nameof(defaultValue));
    }

    /// <summary>The value used when none is given.</summary>
    public T Default { get; }
    /// <inheritdoc/>
    public override object DefaultValue => Default;
    /// <inheritdoc/>
    public override string TypeName { get; }
    /// <inheritdoc/>
    public override string Requirement { get; }
    /// <inheritdoc/>
    public override string DefaultText => _format(Default);

    /// <inheritdoc/>
    public override object Parse(string text, string where)
    {
        var value = _parse(text.Trim(), where);
        Check(value, where);
        return value;
    }

    /// <inheritdoc/>
    public override void Check(object value, string where)
    {
        if (value is not T typed) throw new ArgumentException($"Option '{Key}' holds {TypeName} values, not {value.GetType().Name}.", nameof(value));
        if (!_isValid(typed)) throw new VaeCfException($"{where} must be {Requirement}, got {_format(typed)}.");
    }

    /// <inheritdoc/>
    public override string Format(object value) => _format((T)value);
    /// <inheritdoc/>
    public override double ToNumber(object value) => _toNumber((T)value);
}
