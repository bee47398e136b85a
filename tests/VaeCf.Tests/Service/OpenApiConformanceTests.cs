using System.Net;
using System.Text;
using System.Text.Json;

namespace VaeCf.Tests.Service;

/// <summary>
/// The served OpenAPI document against the server itself: every documented operation is called
/// with a valid and an invalid request; each answer's status must be one the document lists for
/// that operation, and its body must fit the documented schema (required properties present, no
/// undocumented ones, JSON types as documented, recursively).
/// </summary>
public class OpenApiConformanceTests(HttpServerFixture server) : IClassFixture<HttpServerFixture>
{
    /// <summary>Per operation: (content type, body) pairs; null content type sends no body (GET). The first is the valid one.</summary>
    private static readonly Dictionary<string, (string? ContentType, string Body)[]> Calls = new()
    {
        ["post /recommend"] = [("application/json", """{"items":[100,"105"],"k":3}"""), ("application/json", """{"items":[100],"k":0}"""),
            ("text/plain", "100"), ("application/json", $$"""{"items":[{{string.Join(',', Enumerable.Repeat("\"100\"", 5000))}}]}""")],
        ["post /recommend/batch"] = [("application/json", """{"requests":[{"items":[100]},{"items":[]}]}"""), ("application/json", "{}"), ("text/plain", "{}")],
        ["get /health"] = [(null, "")],
        ["get /model"] = [(null, "")],
        ["post /admin/reload"] = [("application/json", "{}"), ("application/json", """{"model":5}"""), ("text/plain", "x")],
    };

    [Fact]
    public async Task EveryDocumentedOperationAnswersAsDocumented()
    {
        using var document = JsonDocument.Parse(await server.Client.GetStringAsync("/openapi/v1.json"));
        var root = document.RootElement;
        Assert.Equal("VaeCf recommendations API", root.GetProperty("info").GetProperty("title").GetString());
        var operations = new List<string>();
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        foreach (var operation in path.Value.EnumerateObject())
        {
            string key = $"{operation.Name} {path.Name}";
            operations.Add(key);
            Assert.True(Calls.ContainsKey(key), $"{key} is documented but has no calls here.");
            var responses = operation.Value.GetProperty("responses");
            foreach (var (contentType, body) in Calls[key])
            {
                var request = new HttpRequestMessage(new HttpMethod(operation.Name.ToUpperInvariant()), path.Name);
                if (contentType is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
                using var response = await server.Client.SendAsync(request);
                string status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(responses.TryGetProperty(status, out var documented), $"{key} with {contentType} {body[..Math.Min(40, body.Length)]} answered {status}, not documented.");
                var media = documented.GetProperty("content").EnumerateObject().Single();
                Assert.Equal(media.Name, response.Content.Headers.ContentType?.MediaType);
                using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Fits(root, media.Value.GetProperty("schema"), answer.RootElement, $"{key} {status}");
            }
        }
        Assert.Equal(Calls.Keys.Order(), operations.Order());
    }

    private static void Fits(JsonElement root, JsonElement schema, JsonElement value, string where)
    {
        if (schema.TryGetProperty("$ref", out var reference))
            schema = root.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1]);
        if (schema.TryGetProperty("type", out var type))
        {
            var allowed = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            string actual = value.ValueKind switch
            {
                JsonValueKind.Object => "object", JsonValueKind.Array => "array", JsonValueKind.String => "string",
                JsonValueKind.True or JsonValueKind.False => "boolean", JsonValueKind.Null => "null",
                _ => value.TryGetInt64(out _) ? "integer" : "number",
            };
            Assert.True(allowed.Contains(actual) || (actual == "integer" && allowed.Contains("number")), $"{where}: {actual} where the document says {string.Join('|', allowed)}.");
        }
        if (value.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out var properties))
        {
            if (schema.TryGetProperty("required", out var required))
                foreach (var name in required.EnumerateArray())
                    Assert.True(value.TryGetProperty(name.GetString()!, out _), $"{where}: required '{name}' missing.");
            foreach (var property in value.EnumerateObject())
            {
                Assert.True(properties.TryGetProperty(property.Name, out var propertySchema), $"{where}: '{property.Name}' is not documented.");
                Fits(root, propertySchema, property.Value, $"{where}.{property.Name}");
            }
        }
        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
            foreach (var element in value.EnumerateArray()) Fits(root, items, element, $"{where}[]");
    }
}
