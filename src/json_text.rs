//! JSON text to and from `serde_json::Value`, the core's model of JSON.
//!
//! Natively this is serde_json. In the wasm build it is the host's `JSON.parse` and
//! `JSON.stringify`, already present in every runtime: shipping serde_json's parser and
//! printer (with their float formatting) would add tens of kilobytes every page downloads.
//!
//! One known difference: a JSON *number* above 2^53 loses digits through `JSON.parse`. Ids in
//! the documented answers are strings, which are unaffected.

#[cfg(not(target_arch = "wasm32"))]
use serde_json::Value;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn stringify(value: &Value) -> String {
    value.to_string()
}

#[cfg(target_arch = "wasm32")]
pub(crate) use host::{parse, stringify, to_js};

#[cfg(target_arch = "wasm32")]
mod host {
    use js_sys::{Array, Object, Reflect, JSON};
    use serde_json::{Map, Number, Value};
    use wasm_bindgen::{JsCast, JsValue};

    /// Integers up to 2^53 are exact in a JS number.
    const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

    pub(crate) fn parse(text: &str) -> Option<Value> {
        JSON::parse(text).ok().map(|js| from_js(&js))
    }

    pub(crate) fn stringify(value: &Value) -> String {
        JSON::stringify(&to_js(value))
            .map(String::from)
            .unwrap_or_default()
    }

    /// A parsed JS value as a `Value`. Functions, symbols and `undefined` read as `null`.
    /// Checks go from the most to the least common kind of value in provider answers, since
    /// each check is a call into JS.
    pub(crate) fn from_js(js: &JsValue) -> Value {
        if let Some(s) = js.as_string() {
            Value::String(s)
        } else if let Some(n) = js.as_f64() {
            if n.fract() == 0.0 && n.abs() < MAX_SAFE {
                Value::from(n as i64)
            } else {
                Number::from_f64(n).map_or(Value::Null, Value::Number)
            }
        } else if let Some(b) = js.as_bool() {
            Value::Bool(b)
        } else if Array::is_array(js) {
            Value::Array(Array::from(js).iter().map(|v| from_js(&v)).collect())
        } else if js.is_object() && !js.is_function() {
            let object: &Object = js.unchecked_ref();
            let mut map = Map::new();
            for key in Object::keys(object).iter() {
                if let Some(name) = key.as_string() {
                    let value = Reflect::get(object, &key).unwrap_or(JsValue::NULL);
                    map.insert(name, from_js(&value));
                }
            }
            Value::Object(map)
        } else {
            Value::Null
        }
    }

    /// A `Value` as a plain JS value. Keys become own data properties: a plain set for ordinary
    /// keys (one call each), a property definition for `__proto__`, which a set would turn into
    /// a change of the object's prototype.
    pub(crate) fn to_js(value: &Value) -> JsValue {
        match value {
            Value::Null => JsValue::NULL,
            Value::Bool(b) => JsValue::from_bool(*b),
            Value::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => JsValue::from_str(s),
            Value::Array(list) => list.iter().map(to_js).collect::<Array>().into(),
            Value::Object(map) => {
                let object = Object::new();
                for (key, value) in map {
                    if key == "__proto__" {
                        let descriptor = Object::new();
                        let _ = Reflect::set(&descriptor, &"value".into(), &to_js(value));
                        let _ = Reflect::set(&descriptor, &"enumerable".into(), &JsValue::TRUE);
                        let _ = Reflect::set(&descriptor, &"writable".into(), &JsValue::TRUE);
                        let _ = Reflect::set(&descriptor, &"configurable".into(), &JsValue::TRUE);
                        Object::define_property(&object, &key.into(), &descriptor);
                    } else {
                        let _ = Reflect::set(&object, &key.into(), &to_js(value));
                    }
                }
                object.into()
            }
        }
    }
}
