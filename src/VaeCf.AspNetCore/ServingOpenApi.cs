using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace VaeCf.AspNetCore;

/// <summary>Corrections to the generated OpenAPI document where a custom converter makes the API wider than the C# types.</summary>
public static class ServingOpenApi
{
    /// <summary>
    /// The VaeCf corrections for an OpenAPI document that includes <see cref="VaeCfServiceCollectionExtensions.MapVaeCfRecommender"/>'s
    /// endpoints: <c>services.AddOpenApi(o => o.AddVaeCfRecommenderSchemas())</c>.
    /// </summary>
    public static OpenApiOptions AddVaeCfRecommenderSchemas(this OpenApiOptions options)
    {
        options.AddSchemaTransformer(DescribeItemIds);
        options.AddSchemaTransformer(DescribeStrictIntegers);
        options.AddSchemaTransformer(DescribeTraceId);
        return options;
    }

    /// <summary>
    /// Every problem answer carries the request's trace id (AddProblemDetails adds it), named by
    /// the host's JSON naming policy (<c>trace_id</c> in vaecf serve); the generated schema omits it.
    /// </summary>
    public static Task DescribeTraceId(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Type == typeof(Microsoft.AspNetCore.Mvc.ProblemDetails) && schema.Properties is { } properties)
        {
            string name = context.JsonTypeInfo.Options.PropertyNamingPolicy?.ConvertName("traceId") ?? "traceId";
            properties[name] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's trace id, for finding it in the server log." };
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The endpoints read <c>k</c> strictly (ServingJson never reads a number from a string); a
    /// host with the web defaults would otherwise document it as integer-or-string.
    /// </summary>
    public static Task DescribeStrictIntegers(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonPropertyInfo is { } property && property.DeclaringType == typeof(RecommendBody)
            && property.PropertyType == typeof(int?) && schema.Type is { } type && type.HasFlag(JsonSchemaType.String))
        {
            schema.Type = JsonSchemaType.Integer | (type & JsonSchemaType.Null);
            schema.Pattern = null;
        }
        return Task.CompletedTask;
    }

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
