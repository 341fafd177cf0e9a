"""notification: Alerts that cannot deliver, and clusters whose failures nobody hears of.

notification-controller resolves an Alert's ``providerRef`` in the Alert's
own namespace and matches events against ``eventSources`` by kind,
namespace and name: an Alert whose Provider or event source names nothing
drops its events without a word, and a cluster with no Alert for failed
reconciliations only shows them to someone running ``flux get``.
"""
