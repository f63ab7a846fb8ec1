//! evaluate: the workspace model straight into a regorus value (the Rego `input`), without
//! building a `serde_json::Value` first. Field names are the same few dozen strings in every
//! object, so each is allocated once per conversion and shared.

use regorus::Value;
use serde::ser::{self, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// Why a model could not be turned into input (a non-finite number, or a key that is not a
/// string).
#[derive(Debug)]
pub(crate) struct InputError(String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

impl ser::Error for InputError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        InputError(msg.to_string())
    }
}

/// The input value of anything serializable, as `serde_json::to_value` would give it.
pub(crate) fn to_input<T: Serialize + ?Sized>(value: &T) -> Result<Value, InputError> {
    value.serialize(&mut Serializer::default())
}

/// Shares the key strings of struct fields across the whole conversion. Field names are
/// `&'static str`s, so the map is keyed by their address: no hashing of their text.
#[derive(Default)]
struct Serializer {
    keys: HashMap<usize, Value, BuildHasherDefault<AddressHasher>>,
}

impl Serializer {
    fn key(&mut self, name: &'static str) -> Value {
        self.keys
            .entry(name.as_ptr() as usize)
            .or_insert_with(|| Value::from(name))
            .clone()
    }
}

/// Hashes an address: a multiply spreads the aligned low bits.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

fn number(v: f64) -> Result<Value, InputError> {
    if v.is_finite() {
        Ok(Value::from(v))
    } else {
        Err(InputError(format!("the number {v} has no JSON form")))
    }
}

fn tagged(key: Value, value: Value) -> Value {
    Value::from(BTreeMap::from([(key, value)]))
}

impl<'a> ser::Serializer for &'a mut Serializer {
    type Ok = Value;
    type Error = InputError;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Map<'a>;
    type SerializeStruct = Map<'a>;
    type SerializeStructVariant = Map<'a>;

    fn serialize_bool(self, v: bool) -> Result<Value, InputError> {
        Ok(Value::from(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, InputError> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, InputError> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, InputError> {
        Ok(Value::from(i64::from(v)))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, InputError> {
        Ok(Value::from(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, InputError> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, InputError> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, InputError> {
        Ok(Value::from(u64::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, InputError> {
        Ok(Value::from(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, InputError> {
        number(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, InputError> {
        number(v)
    }
    fn serialize_char(self, v: char) -> Result<Value, InputError> {
        Ok(Value::from(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, InputError> {
        Ok(Value::from(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, InputError> {
        Ok(Value::from(
            v.iter()
                .map(|b| Value::from(u64::from(*b)))
                .collect::<Vec<_>>(),
        ))
    }
    fn serialize_none(self) -> Result<Value, InputError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, InputError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, InputError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, InputError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, InputError> {
        Ok(self.key(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, InputError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, InputError> {
        let key = self.key(variant);
        Ok(tagged(key, value.serialize(self)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'a>, InputError> {
        Ok(Seq {
            ser: self,
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, InputError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Seq<'a>, InputError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq<'a>, InputError> {
        let key = self.key(variant);
        Ok(Seq {
            ser: self,
            items: Vec::with_capacity(len),
            variant: Some(key),
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'a>, InputError> {
        Ok(Map {
            ser: self,
            entries: BTreeMap::new(),
            key: None,
            variant: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Map<'a>, InputError> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Map<'a>, InputError> {
        let key = self.key(variant);
        Ok(Map {
            ser: self,
            entries: BTreeMap::new(),
            key: None,
            variant: Some(key),
        })
    }
}

/// An array being built (or `{variant: [...]}`).
pub(crate) struct Seq<'a> {
    ser: &'a mut Serializer,
    items: Vec<Value>,
    variant: Option<Value>,
}

impl Seq<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), InputError> {
        let v = value.serialize(&mut *self.ser)?;
        self.items.push(v);
        Ok(())
    }

    fn finish(self) -> Value {
        let array = Value::from(self.items);
        match self.variant {
            Some(key) => tagged(key, array),
            None => array,
        }
    }
}

/// The four array-like serde traits all push an element and finish the array.
macro_rules! seq_like {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Seq<'_> {
            type Ok = Value;
            type Error = InputError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), InputError> {
                self.push(value)
            }
            fn end(self) -> Result<Value, InputError> {
                Ok(self.finish())
            }
        }
    )*};
}

seq_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// An object being built (or `{variant: {...}}`).
pub(crate) struct Map<'a> {
    ser: &'a mut Serializer,
    entries: BTreeMap<Value, Value>,
    key: Option<Value>,
    variant: Option<Value>,
}

impl Map<'_> {
    fn insert<T: Serialize + ?Sized>(&mut self, key: Value, value: &T) -> Result<(), InputError> {
        let value = value.serialize(&mut *self.ser)?;
        self.entries.insert(key, value);
        Ok(())
    }

    fn finish(self) -> Value {
        let object = Value::from(self.entries);
        match self.variant {
            Some(key) => tagged(key, object),
            None => object,
        }
    }
}

impl ser::SerializeMap for Map<'_> {
    type Ok = Value;
    type Error = InputError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), InputError> {
        // as serde_json does: keys are strings, numbers and booleans become their text
        let key = match key.serialize(&mut *self.ser)? {
            key @ Value::String(_) => key,
            key @ (Value::Number(_) | Value::Bool(_)) => Value::from(key.to_string()),
            other => return Err(InputError(format!("object key {other} is not a string"))),
        };
        self.key = Some(key);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), InputError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| InputError("a map value without its key".into()))?;
        self.insert(key, value)
    }
    fn end(self) -> Result<Value, InputError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for Map<'_> {
    type Ok = Value;
    type Error = InputError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), InputError> {
        let key = self.ser.key(key);
        self.insert(key, value)
    }
    fn end(self) -> Result<Value, InputError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for Map<'_> {
    type Ok = Value;
    type Error = InputError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), InputError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<Value, InputError> {
        Ok(self.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_equals_the_json_conversion() {
        let json = serde_json::json!({
            "pipelines": [{"name": "p", "stages": [], "run_order": 1, "ratio": 3.1, "neg": -4}],
            "projects": {"b": {"x": null, "y": true}, "a": {"unicode": "é✓"}},
            "empty": {},
            "list": [[], [1, "two", false]],
        });
        let direct = to_input(&json).unwrap();
        assert_eq!(direct, Value::from(json));
    }

    #[test]
    fn enums_serialize_as_json_does() {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "lowercase")]
        enum Kind {
            Inline,
            File(String),
            Pair(u8, u8),
            Named { a: u8 },
        }
        let values = vec![
            Kind::Inline,
            Kind::File("b.yml".into()),
            Kind::Pair(1, 2),
            Kind::Named { a: 3 },
        ];
        let direct = to_input(&values).unwrap();
        assert_eq!(direct, Value::from(serde_json::to_value(&values).unwrap()));
    }

    #[test]
    fn a_real_workspace_converts_as_through_json() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/e2e");
        let linter = crate::Linter::builder().builtin_policies().build().unwrap();
        for case in ["seed-violating", "cdk", "get-pipeline"] {
            let (workspace, _) = linter.model_paths(&[root.join(case)]);
            assert!(!workspace.pipelines.is_empty(), "{case}");
            let direct = to_input(&workspace).unwrap();
            let through_json = Value::from(serde_json::to_value(&workspace).unwrap());
            assert_eq!(direct, through_json, "{case}");
        }
    }

    #[test]
    fn number_and_boolean_keys_become_strings_as_in_json() {
        let map = BTreeMap::from([(1u32, "a"), (20u32, "b")]);
        let flags = BTreeMap::from([(true, 1u8)]);
        assert_eq!(
            to_input(&map).unwrap(),
            Value::from(serde_json::to_value(&map).unwrap())
        );
        assert_eq!(
            to_input(&flags).unwrap(),
            Value::from(serde_json::to_value(&flags).unwrap())
        );
    }

    #[test]
    fn a_non_finite_number_is_an_error() {
        assert!(to_input(&f64::NAN).is_err());
    }
}
