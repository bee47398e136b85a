using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace VaeCf.Cli.Http;

/// <summary>Corrections to the generated OpenAPI document where a custom converter makes the API wider than the C# types.</summary>
public static class ServingOpenApi
{
    /// <summary>
    /// <c>items</c> and <c>exclude</c> are read by <see cref="ItemIdListConverter"/>, which takes
    /// strings and numbers (MovieLens IDs are numbers to most clients); the generator sees only
    /// List&lt;string&gt;.
    /// </summary>
    public static Task DescribeItemIds(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonPropertyInfo is { } property
            && property.DeclaringType == typeof(RecommendBody)
            && property.CustomConverter is ItemIdListConverter
            && schema.Items is OpenApiSchema element)
        {
            element.Type = JsonSchemaType.String | JsonSchemaType.Number;
            element.Description = "An original item ID, as a string or a number (260 means item \"260\").";
        }
        return Task.CompletedTask;
    }
}
