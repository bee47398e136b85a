namespace VaeCf.Model;

/// <summary>One named tensor inside a <see cref="ParameterSet"/>: a row-major view at an offset.</summary>
public sealed record TensorSlot(string Name, int Offset, int Rows, int Columns, bool IsWeight)
{
    /// <summary>Number of floats: <c>Rows x Columns</c>.</summary>
    public int Length => Rows * Columns;
    /// <summary>The shape as saved in safetensors: <c>[Columns]</c> for a bias (one row, not a weight), <c>[Rows, Columns]</c> otherwise.</summary>
    public int[] Shape => Rows == 1 && !IsWeight ? [Columns] : [Rows, Columns];
}

/// <summary>
/// Every parameter of a network as named views into one flat buffer, so the optimizer, the
/// gradient buffer, checksums and serialization are each a single loop over <see cref="Values"/>.
/// </summary>
public sealed class ParameterSet
{
    /// <summary>Every tensor in layout order (for a network: each layer's weight then bias, encoder first).</summary>
    public IReadOnlyList<TensorSlot> Slots { get; }
    /// <summary>
    /// The single flat buffer all slots view; owned by this set. The optimizer updates it in place and
    /// loaders write into it, so a reference kept elsewhere sees every change. Not synchronized.
    /// </summary>
    public float[] Values { get; }

    /// <summary>Allocates a zeroed buffer long enough for the furthest slot (slots may leave gaps but should not overlap).</summary>
    /// <exception cref="OverflowException">The slots reach beyond <see cref="int.MaxValue"/> floats.</exception>
    public ParameterSet(IReadOnlyList<TensorSlot> slots)
    {
        Slots = slots;
        long total = slots.Count == 0 ? 0 : slots.Max(s => (long)s.Offset + s.Length);
        Values = new float[checked((int)total)];
    }

    /// <summary>Total number of floats in <see cref="Values"/> (the parameter count when slots tile the buffer).</summary>
    public int Count => Values.Length;

    /// <summary>A writable, row-major view of one slot's floats in <see cref="Values"/>; no copy is made.</summary>
    public Span<float> View(TensorSlot slot) => Values.AsSpan(slot.Offset, slot.Length);

    /// <summary>The slot named <paramref name="name"/> (e.g. <c>"layers.0.weight"</c>); a linear search.</summary>
    /// <exception cref="KeyNotFoundException">No slot has that name.</exception>
    public TensorSlot Slot(string name) => Slots.FirstOrDefault(s => s.Name == name)
        ?? throw new KeyNotFoundException($"No parameter named '{name}'.");

    /// <summary>Lays out weight [in x out] and bias [out] per layer, named like "layers.0.weight".</summary>
    public static IReadOnlyList<TensorSlot> Layout(IReadOnlyList<(int Inputs, int Outputs)> shapes)
    {
        var slots = new List<TensorSlot>();
        long offset = 0;
        for (int l = 0; l < shapes.Count; l++)
        {
            var (inputs, outputs) = shapes[l];
            slots.Add(new TensorSlot($"layers.{l}.weight", checked((int)offset), inputs, outputs, IsWeight: true));
            offset += (long)inputs * outputs;
            slots.Add(new TensorSlot($"layers.{l}.bias", checked((int)offset), 1, outputs, IsWeight: false));
            offset += outputs;
        }
        return slots;
    }
}
