namespace VaeCf.Export;

/// <summary>
/// Builds an ONNX model (onnx.proto's ModelProto) from nodes of the default operator set and
/// float32 weights, and encodes it with <see cref="ProtoMessage"/>. Field numbers are onnx.proto's;
/// only the messages a feed-forward scorer needs are covered: ModelProto, OperatorSetIdProto,
/// StringStringEntryProto, GraphProto, NodeProto, AttributeProto (int and float), TensorProto
/// (float32 and int64, in raw_data), ValueInfoProto / TypeProto.Tensor / TensorShapeProto.
/// </summary>
public sealed class OnnxGraphBuilder(string graphName)
{
    /// <summary>IR version 8 (ONNX 1.10+) with operator set 17: every runtime of the last years reads it.</summary>
    public const long IrVersion = 8;
    /// <summary>The default domain's operator set the graphs use (see <see cref="IrVersion"/>).</summary>
    public const long OpsetVersion = 17;

    // onnx.proto TensorProto.DataType
    private const int FloatType = 1;
    private const int Int64Type = 7;

    private readonly List<ProtoMessage> _nodes = [];
    private readonly List<ProtoMessage> _initializers = [];
    private readonly List<ProtoMessage> _inputs = [];
    private readonly List<ProtoMessage> _outputs = [];
    private readonly List<(string Key, string Value)> _metadata = [];
    private readonly HashSet<string> _names = [];

    /// <summary>A float32 graph input or output; a null dimension is symbolic (named <c>batch</c> here).</summary>
    public void Input(string name, params long?[] shape) => _inputs.Add(ValueInfo(Claim(name), shape));

    /// <summary>A float32 graph output of a node's name; a null dimension is symbolic, as for <see cref="Input"/>.</summary>
    public void Output(string name, params long?[] shape) => _outputs.Add(ValueInfo(name, shape));

    /// <summary>A float32 constant, row-major, written as raw little-endian bytes straight from <paramref name="values"/>.</summary>
    public string Weight(string name, long[] shape, ReadOnlyMemory<float> values)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != values.Length) throw new ArgumentException($"Tensor '{name}' has {values.Length} values for shape [{string.Join(", ", shape)}].");
        var tensor = new ProtoMessage();
        foreach (long d in shape) tensor.Int(1, d);       // dims
        tensor.Int(2, FloatType)                           // data_type
              .String(8, Claim(name))                      // name
              .RawFloats(9, values);                       // raw_data
        _initializers.Add(tensor);
        return name;
    }

    /// <summary>An int64 vector constant (shapes, axes); returns its name.</summary>
    public string Int64Constant(string name, params long[] values)
    {
        var tensor = new ProtoMessage().Int(1, values.Length).Int(2, Int64Type).String(8, Claim(name)).RawInt64s(9, values);
        _initializers.Add(tensor);
        return name;
    }

    /// <summary>Adds a node of the default domain; returns its (single) output's name.</summary>
    public string Node(string opType, string[] inputs, string output, params (string Name, long Value)[] intAttributes)
    {
        var node = new ProtoMessage();
        foreach (string input in inputs) node.String(1, input);
        node.String(2, Claim(output)).String(3, output).String(4, opType);
        foreach (var (name, value) in intAttributes)
            node.Message(5, new ProtoMessage().String(1, name).Int(3, value).Int(20, 2)); // AttributeProto: name, i, type = INT
        _nodes.Add(node);
        return output;
    }

    /// <summary>As <see cref="Node"/>, with float attributes (LayerNormalization's epsilon).</summary>
    public string NodeWithFloats(string opType, string[] inputs, string output, params (string Name, float Value)[] floatAttributes)
    {
        var node = new ProtoMessage();
        foreach (string input in inputs) node.String(1, input);
        node.String(2, Claim(output)).String(3, output).String(4, opType);
        foreach (var (name, value) in floatAttributes)
            node.Message(5, new ProtoMessage().String(1, name).Float(2, value).Int(20, 1)); // AttributeProto: name, f, type = FLOAT
        _nodes.Add(node);
        return output;
    }

    /// <summary>A key/value pair of the model's metadata_props (VaeCf writes the item IDs and the model kind).</summary>
    public void Metadata(string key, string value) => _metadata.Add((key, value));

    /// <summary>The ModelProto: the graph with its inputs, outputs, weights and metadata, ready to write.</summary>
    public ProtoMessage Build(string producerVersion, string docString)
    {
        var graph = new ProtoMessage();
        foreach (var node in _nodes) graph.Message(1, node);
        graph.String(2, graphName);
        foreach (var tensor in _initializers) graph.Message(5, tensor);
        foreach (var input in _inputs) graph.Message(11, input);
        foreach (var output in _outputs) graph.Message(12, output);

        var model = new ProtoMessage()
            .Int(1, IrVersion)
            .String(2, "vaecf")
            .String(3, producerVersion)
            .String(6, docString)
            .Message(7, graph)
            .Message(8, new ProtoMessage().String(1, "").Int(2, OpsetVersion));
        foreach (var (key, value) in _metadata) model.Message(14, new ProtoMessage().String(1, key).String(2, value));
        return model;
    }

    private string Claim(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"The ONNX graph already has a value named '{name}'.");
        return name;
    }

    private static ProtoMessage ValueInfo(string name, long?[] shape)
    {
        var dims = new ProtoMessage();
        foreach (long? d in shape)
            dims.Message(1, d is { } size ? new ProtoMessage().Int(1, size) : new ProtoMessage().String(2, "batch"));
        var tensorType = new ProtoMessage().Int(1, FloatType).Message(2, dims);
        return new ProtoMessage().String(1, name).Message(2, new ProtoMessage().Message(1, tensorType));
    }
}
