package stagegate.policies.unverifiable_pipeline_value_test

import data.stagegate.lib
import data.stagegate.policies.unverifiable_pipeline_value

test_each_unresolved_value_is_an_error_at_its_place if {
	denied := unverifiable_pipeline_value.deny with input as {"unresolved": [{
		"what": "the category of action Build",
		"value": "{\"Ref\":\"Category\"}",
		"reason": "only a parameter default supplies it, and the stack may be deployed with another value",
		"source": {"file": "p.yaml", "path": "/Resources/P/Properties/Stages/1/Actions/0/ActionTypeId/Category"},
	}]}
	count(denied) == 1
	some f in denied
	contains(f.message, "cannot verify the category of action Build")
	endswith(lib.target(f.at[0]).path, "/Category")
}

test_nothing_unresolved_passes if {
	count(unverifiable_pipeline_value.deny) == 0 with input as {"unresolved": []}
}
