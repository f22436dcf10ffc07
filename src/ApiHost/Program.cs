using Orleans.Dashboard;
using Triggers.Api.Auth;
using Triggers.Api.Extensions;
using Triggers.ApiHost;

// appsettings.json sits beside the binary: read it from there whatever directory the silo is started in.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddClusterClient();
builder.Services.AddTriggersApi(builder.Configuration);

var app = builder.Build();
app.UseTriggersApi();
app.MapTriggersApi();
app.MapOrleansDashboard(routePrefix: "/dashboard").WithMetadata(new RequiresToken { Browser = true });
await app.RunAsync();
